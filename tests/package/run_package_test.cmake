# Installs the already-built tree into a scratch prefix, then configures and
# builds the consumer twice: once with find_package(icmpkit), once with
# add_subdirectory(<source>). Fails on the first step that fails.
function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run_step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

if(NOT EXISTS "${prefix}/lib/pkgconfig/icmpkit.pc" AND NOT EXISTS "${prefix}/lib/x86_64-linux-gnu/pkgconfig/icmpkit.pc")
  file(GLOB_RECURSE pc_files "${prefix}/*.pc")
  if(NOT pc_files)
    message(FATAL_ERROR "no icmpkit.pc installed under ${prefix}")
  endif()
endif()

run_step(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/found" -DCMAKE_PREFIX_PATH=${prefix}
         -DCONSUMER_MODE=find_package)
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/found" -j2)
run_step("${WORK_DIR}/found/consumer")

run_step(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/subdir" -DCONSUMER_MODE=add_subdirectory
         -DICMPKIT_SOURCE_DIR=${SOURCE_DIR})
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/subdir" -j2 --target consumer)
run_step("${WORK_DIR}/subdir/consumer")
