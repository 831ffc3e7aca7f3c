// File: icmpkit/net/pinger_completion.hpp
//
// Implementation detail of net::Pinger: a move-only, type-erased completion
// that delivers void(std::error_code, T) to an Asio completion handler on the
// handler's associated executor (holding work on it meanwhile), and clears
// the handler's cancellation slot first. Lets the Pinger's machinery live in
// a compiled source file while async_ping accepts any completion token.
#pragma once
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

namespace icmpkit::net::detail {

template <class T>
class Completion {
 public:
  virtual ~Completion() = default;
  /// Delivers the result (posted: never runs the handler inline).
  virtual void complete(std::error_code ec, T value) = 0;
};

template <class T, class Handler>
class CompletionImpl final : public Completion<T> {
 public:
  CompletionImpl(Handler handler, const asio::any_io_executor& fallback)
      : handler_(std::move(handler)), work_(asio::get_associated_executor(handler_, fallback)) {}
  void complete(std::error_code ec, T value) override {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    auto executor = work_.get_executor();
    asio::post(executor, [handler = std::move(handler_), ec, value = std::move(value)]() mutable {
      std::move(handler)(ec, std::move(value));
    });
    work_.reset();
  }

 private:
  Handler handler_;
  asio::executor_work_guard<asio::associated_executor_t<Handler, asio::any_io_executor>> work_;
};

template <class T, class Handler>
std::unique_ptr<Completion<T>> make_completion(Handler&& handler, const asio::any_io_executor& fallback) {
  return std::make_unique<CompletionImpl<T, std::decay_t<Handler>>>(std::forward<Handler>(handler), fallback);
}

}  // namespace icmpkit::net::detail
