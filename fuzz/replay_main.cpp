// Replays files (or every file of directories) through LLVMFuzzerTestOneInput,
// so the fuzz targets run as ordinary tests with g++ (fmt's FMT_FUZZ_LINKMAIN).
// Each input is copied into a buffer of exactly its size, so a read one past
// the end is caught by AddressSanitizer when the build uses it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(exact.data(), exact.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t runs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        std::fprintf(stderr, "empty corpus %s\n", argv[i]);
        ok = false;
      }
      for (const auto& f : files) ok = run_file(f) && ok, ++runs;
    } else {
      ok = run_file(arg) && ok;
      ++runs;
    }
  }
  // Also the empty input, which no corpus file need hold.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("replayed %zu inputs\n", runs);
  return ok && runs > 0 ? 0 : 1;
}
