// throws_with<E>(fn, {"part", ...}): fn must throw E (or a subclass) whose what() contains every
// part. Error messages are part of the interface: they must name the values that were wrong.
//
//   EXPECT_TRUE(throws_with<Error>([&] { check_same_shape(a, b, "add"); }, {"[2, 3]", "[3, 2]"}));
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>

namespace rethink::test {

template <class E, class Fn>
::testing::AssertionResult throws_with(Fn&& fn, std::initializer_list<std::string_view> parts) {
  try {
    fn();
  } catch (const E& e) {
    const std::string what = e.what();
    for (const std::string_view part : parts) {
      if (what.find(part) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "the message \"" << what << "\" does not contain \"" << part << "\"";
      }
    }
    return ::testing::AssertionSuccess() << what;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception type: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace rethink::test
