// Batched send and receive (sendmmsg / recvmmsg) on a real ping socket: one
// batch of echo requests to the server, as the unprivileged user, and every
// reply collected with receive_batch.
#include <gtest/gtest.h>

#include <poll.h>

#include <array>
#include <set>

#include "icmpkit/sys/batch.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "support/probe_support.hpp"

namespace icmpkit::itest {
namespace {

using lab::Lab;
using lab::Node;
using lab::Where;
using wire::Family;

class Batch : public ::testing::TestWithParam<Family> {};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(Batch, SendsABatchOfProbesAndReceivesEveryReplyInBatches) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  Lab lab;
  const std::string server = Lab::address(Where::server, family);
  constexpr int probes = 24;
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 6s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::dgram;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());

    std::vector<std::vector<std::byte>> messages;
    std::vector<sys::OutgoingDatagram> outgoing;
    for (int seq = 1; seq <= probes; ++seq) {
      messages.push_back(echo_request(family, wire::EchoId{1}, wire::EchoSeq{static_cast<std::uint16_t>(seq)}, "batch"));
    }
    for (const auto& message : messages) outgoing.push_back({message, address(server)});
    auto sent = sys::send_batch(*socket, outgoing);
    if (!sent) return report.fail("send_batch: " + sent.error().message());
    report.set("sent", *sent);

    constexpr std::size_t slots_count = 8;
    std::vector<std::vector<std::byte>> buffers(slots_count, std::vector<std::byte>(2048));
    std::vector<std::array<std::byte, sys::recommended_control_size>> controls(slots_count);
    std::vector<sys::ReceiveSlot> slots;
    for (std::size_t i = 0; i < slots_count; ++i) slots.emplace_back(buffers[i], controls[i]);

    std::set<int> replies;
    int calls = 0, most_in_one_call = 0;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (replies.size() < *sent && std::chrono::steady_clock::now() < deadline) {
      auto got = sys::receive_batch(*socket, slots);
      if (!got) {
        if (got.error() != std::errc::resource_unavailable_try_again) {
          return report.fail("receive_batch: " + got.error().message());
        }
        pollfd pfd{socket->native_handle(), POLLIN, 0};
        ::poll(&pfd, 1, 100);
        continue;
      }
      ++calls;
      most_in_one_call = std::max(most_in_one_call, static_cast<int>(*got));
      for (std::size_t i = 0; i < *got; ++i) {
        const auto& datagram = slots[i].datagram();
        if (!datagram || datagram->source.to_string() != server) continue;
        auto view = wire::parse_icmp(family, datagram->icmp);
        if (!view) continue;
        if (auto echo = wire::decode_echo(*view); echo && echo->is_reply) replies.insert(echo->seq.value());
      }
    }
    report.set("replies", replies.size());
    report.set("calls", calls);
    report.set("most_in_one_call", most_in_one_call);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("sent"), probes);
  EXPECT_EQ(outcome.get_int("replies"), probes) << outcome.describe();
  EXPECT_GT(outcome.get_int("most_in_one_call").value_or(0), 1) << "recvmmsg should return several at once";
}

INSTANTIATE_TEST_SUITE_P(Families, Batch, ::testing::Values(Family::v4, Family::v6), param_family);

}  // namespace
}  // namespace icmpkit::itest
