#include "icmpkit/error.hpp"
#include "icmpkit/result.hpp"

#include <gtest/gtest.h>

namespace {

TEST(ErrorCategory, NamesAndMessages) {
  const std::error_code ec = icmpkit::errc::truncated;
  EXPECT_STREQ(ec.category().name(), "icmpkit");
  EXPECT_EQ(ec.message(), "input is truncated");
  EXPECT_NE(std::error_code(icmpkit::errc::permission_denied).message().find("doctor"), std::string::npos);
}

TEST(Result, HoldsValueOrError) {
  icmpkit::Result<int> good = 5;
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 5);
  EXPECT_FALSE(good.error());
  icmpkit::Result<int> bad = icmpkit::errc::bad_length;
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), icmpkit::errc::bad_length);
  EXPECT_EQ(bad.value_or(9), 9);
}

TEST(Result, VoidResult) {
  icmpkit::Result<void> ok;
  EXPECT_TRUE(ok);
  icmpkit::Result<void> failed = icmpkit::errc::no_message;
  EXPECT_EQ(failed.error(), icmpkit::errc::no_message);
}

}  // namespace
