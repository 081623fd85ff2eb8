#include "clidoc/request.h"

#include <cstdio>
#include <string>

#include "clidoc/bash_completion.h"
#include "clidoc/man_page.h"

namespace xlb::clidoc {

std::optional<int> answer_clidoc_request(const CLI::App& app, int argc, char** argv) {
  const std::string flag = "--clidoc=";
  if (argc != 2 || std::string(argv[1]).rfind(flag, 0) != 0) return std::nullopt;
  const std::string what = std::string(argv[1]).substr(flag.size());
  const CommandDoc doc = describe_command_line(app);
  std::string text;
  if (what == "man") {
    text = render_man_page(doc, {.section = 8, .source = "xlb " XLB_VERSION});
  } else if (what == "bash-completion") {
    text = render_bash_completion(doc);
  } else {
    std::fprintf(stderr, "%s: --clidoc must be man or bash-completion, got '%s'\n",
                 doc.name.c_str(), what.c_str());
    return 1;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace xlb::clidoc
