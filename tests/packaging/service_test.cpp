// What xlbd tells a service manager and its journal: the capability check that runs before
// anything changes, and the syslog priority prefix of each log line.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <spdlog/pattern_formatter.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "daemon/capabilities.h"
#include "logging/journal.h"

namespace {

using xlb::daemon::CapabilityBits;
using xlb::daemon::check_datapath_capabilities;

CapabilityBits caps(std::initializer_list<int> numbers) {
  CapabilityBits bits = 0;
  for (int n : numbers) bits |= CapabilityBits{1} << n;
  return bits;
}

TEST(DatapathCapabilities, TheUnitsSetIsEnough) {
  EXPECT_TRUE(
      check_datapath_capabilities(caps({CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_NET_RAW})));
  EXPECT_TRUE(check_datapath_capabilities(~CapabilityBits{0}));  // root
}

TEST(DatapathCapabilities, EachMissingOneIsNamedWithTheFix) {
  const std::pair<int, const char*> needed[] = {{CAP_BPF, "CAP_BPF"},
                                                {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
                                                {CAP_PERFMON, "CAP_PERFMON"},
                                                {CAP_NET_RAW, "CAP_NET_RAW"}};
  for (const auto& [number, name] : needed) {
    CapabilityBits bits = caps({CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_NET_RAW});
    bits &= ~(CapabilityBits{1} << number);
    auto ok = check_datapath_capabilities(bits);
    ASSERT_FALSE(ok) << name;
    EXPECT_NE(ok.error().message.find(std::string("missing capability ") + name), std::string::npos)
        << ok.error().message;
    EXPECT_NE(ok.error().message.find("xlbd.service"), std::string::npos);
    EXPECT_EQ(ok.error().message.find('\n'), std::string::npos) << "one line";
  }
}

TEST(DatapathCapabilities, SysAdminStandsInForBpfAndPerfmonOnly) {
  EXPECT_TRUE(check_datapath_capabilities(caps({CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW})));
  auto ok = check_datapath_capabilities(caps({CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_NET_RAW}));
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("CAP_NET_ADMIN"), std::string::npos);
}

TEST(DatapathCapabilities, ThisProcessReportsWhatTheKernelShows) {
  std::ifstream status("/proc/self/status");
  std::string line;
  CapabilityBits shown = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) shown = std::stoull(line.substr(7), nullptr, 16);
  }
  EXPECT_EQ(xlb::daemon::effective_capabilities(), shown);
}

std::string formatted(spdlog::level::level_enum level, const std::string& text) {
  auto f =
      xlb::logging::with_journal_priority(std::make_unique<spdlog::pattern_formatter>("%l %v"));
  spdlog::details::log_msg msg("xlbd", level, text);
  spdlog::memory_buf_t out;
  f->clone()->format(msg, out);
  return fmt::to_string(out);
}

TEST(JournalPriority, EachLevelCarriesItsSyslogPriority) {
  EXPECT_EQ(formatted(spdlog::level::err, "boom"), "<3>error boom\n");
  EXPECT_EQ(formatted(spdlog::level::warn, "hm"), "<4>warning hm\n");
  EXPECT_EQ(formatted(spdlog::level::info, "ok"), "<6>info ok\n");
  EXPECT_EQ(formatted(spdlog::level::debug, "d"), "<7>debug d\n");
  EXPECT_EQ(formatted(spdlog::level::critical, "c"), "<2>critical c\n");
}

TEST(JournalPriority, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(xlb::logging::stderr_is_journal());
  setenv("JOURNAL_STREAM", "1:2", 1);
  EXPECT_FALSE(xlb::logging::stderr_is_journal());
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(),
         1);
  EXPECT_TRUE(xlb::logging::stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
}

}  // namespace
