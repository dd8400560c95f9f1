// ScopedEnv: sets (or, with nullopt, unsets) one environment variable for a
// test's lifetime, and puts the old value back after.
//
// Thread-safety: none (the environment is the process's); one test at a time.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace scopefs::testing {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Set(name_, value);
  }
  ~ScopedEnv() { Set(name_, old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  static void Set(const char* name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }

  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace scopefs::testing
