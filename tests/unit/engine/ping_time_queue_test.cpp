// detail::TimeQueue, the FIFO-lanes-plus-heap queue behind PingEngine's
// timers and sends: entries come out in time order whatever the push order,
// pushes in lane order never touch the heap, equal times are all delivered,
// erase_if (the engines' compaction) keeps the order, and the remembered
// position of the minimum follows every push and pop.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "icmpkit/engine/detail/time_queue.hpp"

namespace {

struct Item {
  std::int64_t when = 0;
  std::uint32_t id = 0;
};

template <std::size_t Lanes>
std::vector<Item> drain(icmpkit::engine::detail::TimeQueue<Item, Lanes>& q) {
  std::vector<Item> out;
  while (!q.empty()) {
    out.push_back(q.top());
    q.pop();
  }
  return out;
}

std::vector<std::int64_t> times_of(const std::vector<Item>& items) {
  std::vector<std::int64_t> out;
  for (const auto& i : items) out.push_back(i.when);
  return out;
}

}  // namespace

TEST(TimeQueue, InOrderPushesStayInTheLaneAndComeOutInOrder) {
  icmpkit::engine::detail::TimeQueue<Item> q;
  for (std::uint32_t i = 0; i < 1000; ++i) q.push({static_cast<std::int64_t>(i * 3), i});
  EXPECT_EQ(q.size(), 1000u);
  EXPECT_EQ(q.heap_size(), 0u);
  const auto out = drain(q);
  ASSERT_EQ(out.size(), 1000u);
  for (std::uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(out[i].id, i);
}

TEST(TimeQueue, OutOfOrderPushGoesToTheHeapAndStillComesOutFirst) {
  icmpkit::engine::detail::TimeQueue<Item> q;
  q.push({10, 1});
  q.push({20, 2});
  q.push({5, 3});  // earlier than the lane's back
  EXPECT_EQ(q.heap_size(), 1u);
  EXPECT_EQ(q.top().id, 3u);
  const auto out = drain(q);
  EXPECT_EQ(times_of(out), (std::vector<std::int64_t>{5, 10, 20}));
}

TEST(TimeQueue, EqualTimesAreAppendedAndAllDelivered) {
  icmpkit::engine::detail::TimeQueue<Item> q;
  for (std::uint32_t i = 0; i < 10; ++i) q.push({7, i});
  EXPECT_EQ(q.heap_size(), 0u);  // equal is not earlier
  const auto out = drain(q);
  ASSERT_EQ(out.size(), 10u);
  std::vector<std::uint32_t> ids;
  for (const auto& i : out) ids.push_back(i.id);
  std::sort(ids.begin(), ids.end());
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(ids[i], i);
}

TEST(TimeQueue, MinimumIsTakenAcrossLanesAndHeap) {
  icmpkit::engine::detail::TimeQueue<Item, 2> q;
  q.push({10, 1}, 0);
  q.push({20, 2}, 0);
  q.push({30, 3}, 0);
  q.push({5, 4}, 1);
  q.push({25, 5}, 1);
  q.push({15, 6}, 0);  // behind 30 in lane 0: heap
  EXPECT_EQ(q.heap_size(), 1u);
  const auto out = drain(q);
  EXPECT_EQ(times_of(out), (std::vector<std::int64_t>{5, 10, 15, 20, 25, 30}));
}

TEST(TimeQueue, RandomPushesAndPopsMatchASortedReference) {
  // Interleaved pushes (mostly in order per lane, some not) and pops, long
  // enough for the lanes to drop their consumed fronts many times.
  icmpkit::engine::detail::TimeQueue<Item, 3> q;
  std::multiset<std::int64_t> reference;
  std::mt19937_64 rng(12345);
  std::array<std::int64_t, 3> clock{0, 1000, 5000};
  std::uint32_t next_id = 0;
  for (int step = 0; step < 200000; ++step) {
    const auto r = rng() % 100;
    if (r < 55 || reference.empty()) {
      const std::size_t lane = rng() % 3;
      std::int64_t when;
      if (rng() % 10 == 0) {
        when = clock[lane] - static_cast<std::int64_t>(rng() % 500);  // out of order
      } else {
        clock[lane] += static_cast<std::int64_t>(rng() % 3);  // in order, ties included
        when = clock[lane];
      }
      q.push({when, next_id++}, lane);
      reference.insert(when);
    } else {
      ASSERT_FALSE(q.empty());
      const auto expected = *reference.begin();
      ASSERT_EQ(q.top().when, expected) << "step " << step;
      q.pop();
      reference.erase(reference.begin());
    }
    ASSERT_EQ(q.size(), reference.size());
  }
  const auto out = drain(q);
  EXPECT_EQ(times_of(out), std::vector<std::int64_t>(reference.begin(), reference.end()));
}

TEST(TimeQueue, EraseIfDropsStaleEntriesAndKeepsOrder) {
  icmpkit::engine::detail::TimeQueue<Item, 2> q;
  for (std::uint32_t i = 0; i < 600; ++i) q.push({static_cast<std::int64_t>(i), i}, i % 2);
  q.push({3, 1000}, 0);  // heap
  for (int i = 0; i < 300; ++i) q.pop();  // the lanes now have consumed fronts
  // Drop every entry whose id is a multiple of 3 (the "stale" ones).
  q.erase_if([](const Item& item) { return item.id % 3 == 0; });
  std::vector<std::int64_t> expected;
  for (std::uint32_t i = 299; i < 600; ++i) {
    if (i % 3 != 0) expected.push_back(i);
  }
  EXPECT_EQ(q.size(), expected.size());
  std::size_t seen = 0;
  q.for_each([&seen](const Item&) { ++seen; });
  EXPECT_EQ(seen, expected.size());
  // Pushes after the erase still go to the lanes in order.
  q.push({1000, 2000}, 0);
  expected.push_back(1000);
  EXPECT_EQ(times_of(drain(q)), expected);
}

TEST(TimeQueue, ClearEmptiesEverything) {
  icmpkit::engine::detail::TimeQueue<Item> q;
  q.push({2, 0});
  q.push({1, 1});
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  q.push({5, 2});
  EXPECT_EQ(q.top().id, 2u);
}

TEST(TimeQueue, TopIsTheMinimumAfterEveryPushAndPop) {
  // top() is remembered between calls: a push into an empty lane, a push
  // that goes to the heap, and every pop must move it. Checked after each
  // operation (twice, so a remembered answer is read too), with few
  // distinct times so ties across lanes and heap are common.
  icmpkit::engine::detail::TimeQueue<Item, 3> q;
  std::multiset<std::int64_t> reference;
  std::mt19937_64 rng(777);
  std::uint32_t next_id = 0;
  for (int step = 0; step < 50000; ++step) {
    if (rng() % 100 < 50 || reference.empty()) {
      const auto when = static_cast<std::int64_t>(rng() % 40);
      q.push({when, next_id++}, rng() % 3);
      reference.insert(when);
    } else {
      q.pop();
      reference.erase(reference.begin());
    }
    ASSERT_EQ(q.size(), reference.size());
    if (reference.empty()) continue;
    ASSERT_EQ(q.top().when, *reference.begin()) << "step " << step;
    ASSERT_EQ(q.top().when, *reference.begin()) << "step " << step;
    if (step % 5000 == 4999) {
      q.erase_if([](const Item& item) { return item.when % 7 == 0; });
      std::erase_if(reference, [](std::int64_t when) { return when % 7 == 0; });
      ASSERT_EQ(q.size(), reference.size());
      if (!reference.empty()) ASSERT_EQ(q.top().when, *reference.begin());
    }
  }
}
