// RequestSlab, the Pinger's table of running requests (an internal header):
// ids find their request until it is removed and never find the request
// that reuses the slot; references survive growth past a chunk.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "../../../src/net/request_slab.hpp"

namespace {

using Slab = icmpkit::net::detail::RequestSlab<std::string>;

TEST(RequestSlab, IdsFindTheirRequestsAcrossManyChunks) {
  Slab slab;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 3000; ++i) ids.push_back(slab.insert("r" + std::to_string(i)));
  EXPECT_EQ(slab.size(), 3000u);
  EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), ids.size());
  for (int i = 0; i < 3000; ++i) {
    const auto* found = slab.find(ids[static_cast<std::size_t>(i)]);
    ASSERT_NE(found, nullptr) << i;
    EXPECT_EQ(*found, "r" + std::to_string(i));
    EXPECT_EQ(ids[static_cast<std::size_t>(i)] & Slab::top_bit, 0u);
    EXPECT_NE(ids[static_cast<std::size_t>(i)], 0u);
  }
}

TEST(RequestSlab, ReferencesStayValidWhileTheSlabGrows) {
  Slab slab;
  const auto first = slab.insert("first");
  std::string* held = slab.find(first);
  for (int i = 0; i < 5000; ++i) slab.insert("x");
  EXPECT_EQ(held, slab.find(first));
  EXPECT_EQ(*held, "first");
}

TEST(RequestSlab, RemovedIdsNeverFindTheSlotsNextRequest) {
  Slab slab;
  const auto a = slab.insert("a");
  const auto b = slab.insert("b");
  auto taken = slab.take(a);
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken, "a");
  EXPECT_EQ(slab.find(a), nullptr);
  EXPECT_FALSE(slab.take(a));
  const auto c = slab.insert("c");  // reuses a's slot
  EXPECT_EQ(static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(a));
  EXPECT_NE(c, a);
  EXPECT_EQ(slab.find(a), nullptr);
  EXPECT_EQ(*slab.find(c), "c");
  EXPECT_TRUE(slab.erase(b));
  EXPECT_FALSE(slab.erase(b));
  EXPECT_EQ(slab.find(b), nullptr);
  EXPECT_EQ(slab.size(), 1u);
  EXPECT_EQ(slab.find(0), nullptr);
  EXPECT_EQ(slab.find(std::uint64_t{1} << 40 | 999999), nullptr);
}

TEST(RequestSlab, ForEachVisitsExactlyTheLiveRequests) {
  Slab slab;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 600; ++i) ids.push_back(slab.insert(std::to_string(i)));
  for (std::size_t i = 0; i < ids.size(); i += 2) slab.erase(ids[i]);
  std::set<std::uint64_t> seen;
  slab.for_each([&](std::uint64_t id, std::string& value) {
    seen.insert(id);
    EXPECT_EQ(slab.find(id), &value);
  });
  EXPECT_EQ(seen.size(), 300u);
  for (std::size_t i = 1; i < ids.size(); i += 2) EXPECT_EQ(seen.count(ids[i]), 1u);
}

}  // namespace
