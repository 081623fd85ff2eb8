#include "store/file_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace xlb {
namespace {

namespace fs = std::filesystem;

model::Config config_with_port(uint16_t port) {
  model::Service s;
  s.key = {"10.0.0.100", model::Protocol::tcp, port};
  s.name = "web";
  s.endpoints = {{"10.0.1.2", 8080, 3, model::EndpointState::up}};
  return model::Config{{s}};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "xlb-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
};

TEST_F(FileStoreTest, NothingSavedLoadsAsNullopt) {
  FileStore store(dir_);
  auto r = store.load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
}

TEST_F(FileStoreTest, SaveThenLoadRoundTripsAndLeavesNoTempFile) {
  FileStore store(dir_);
  ASSERT_TRUE(store.save(config_with_port(80)).ok());
  EXPECT_EQ(files(), std::vector<std::string>{"config.json"});
  auto r = FileStore(dir_).load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, config_with_port(80));
  // Human-readable: an operator may inspect it (one rule per line).
  EXPECT_NE(read_file(dir_ + "/config.json").find("\n  {\""), std::string::npos);
  EXPECT_NE(read_file(dir_ + "/config.json").find("\"vip\":\"10.0.0.100\""), std::string::npos);
}

TEST_F(FileStoreTest, SaveCreatesTheStateDirectory) {
  FileStore store(dir_ + "/a/b");
  ASSERT_TRUE(store.save(config_with_port(80)).ok());
  EXPECT_TRUE(fs::exists(dir_ + "/a/b/config.json"));
}

TEST_F(FileStoreTest, SecondSaveReplacesTheFirst) {
  FileStore store(dir_);
  ASSERT_TRUE(store.save(config_with_port(80)).ok());
  ASSERT_TRUE(store.save(config_with_port(81)).ok());
  EXPECT_EQ(**store.load(), config_with_port(81));
}

TEST_F(FileStoreTest, CrashBetweenWriteAndRenameLeavesOldFileIntact) {
  ASSERT_TRUE(FileStore(dir_).save(config_with_port(80)).ok());

  // A child process saves a new config and is killed right before the rename.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileStoreHooks hooks;
    hooks.rename = [](const char*, const char*) {
      ::raise(SIGKILL);
      return 0;
    };
    (void)FileStore(dir_, hooks).save(config_with_port(81));
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  // The child's complete temp file is there, but config.json is untouched.
  std::string tmp = dir_ + "/.config.json.tmp." + std::to_string(child);
  ASSERT_TRUE(fs::exists(tmp));
  EXPECT_NE(read_file(tmp).find("81"), std::string::npos);
  auto r = FileStore(dir_).load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(**r, config_with_port(80));
}

TEST_F(FileStoreTest, FailedRenameReportsAndCleansUp) {
  ASSERT_TRUE(FileStore(dir_).save(config_with_port(80)).ok());
  FileStoreHooks hooks;
  hooks.rename = [](const char*, const char*) {
    errno = EIO;
    return -1;
  };
  FileStore store(dir_, hooks);
  auto r = store.save(config_with_port(81));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::store);
  EXPECT_NE(r.error().message.find(store.path()), std::string::npos) << r.error().message;
  EXPECT_EQ(files(), std::vector<std::string>{"config.json"});
  EXPECT_EQ(**FileStore(dir_).load(), config_with_port(80));
}

TEST_F(FileStoreTest, CorruptFileIsAClearErrorNamingThePath) {
  { std::ofstream(dir_ + "/config.json") << "{\"services\": [ {\"vip\": "; }
  FileStore store(dir_);
  auto r = store.load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::store);
  EXPECT_NE(r.error().message.find(dir_ + "/config.json is corrupt"), std::string::npos)
      << r.error().message;
}

TEST_F(FileStoreTest, WellFormedButInvalidFileNamesTheField) {
  { std::ofstream(dir_ + "/config.json") << R"({"services": [{"vip": "10.0.0.1"}]})"; }
  auto r = FileStore(dir_).load();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is invalid: services[0].protocol is required"),
            std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace xlb
