#include "clidoc/grammar.h"

namespace xlb::clidoc {
namespace {

// CLI11 writes an option's type and its checks as one label, "TEXT:{text,json}" or
// "UINT:UINT in [1 - 3600]": the type, then each check's description.
void split_type_label(const std::string& label, OptionDoc& doc) {
  const auto colon = label.find(':');
  doc.value = label.substr(0, colon);
  if (colon == std::string::npos) return;
  doc.constraint = label.substr(colon + 1);
  const std::string& c = doc.constraint;
  // IsMember describes itself as "{a,b,c}": those are the only values accepted.
  if (c.size() < 2 || c.front() != '{' || c.back() != '}' ||
      c.find_first_of("{}:", 1) != c.size() - 1) {
    return;
  }
  std::string item;
  for (char ch : c.substr(1, c.size() - 2) + ",") {
    if (ch != ',') {
      item += ch;
    } else if (!item.empty()) {
      doc.choices.push_back(std::move(item));
      item.clear();
    }
  }
}

OptionDoc describe_option(const CLI::Option& opt) {
  OptionDoc doc;
  for (const auto& s : opt.get_snames()) doc.names.push_back("-" + s);
  for (const auto& l : opt.get_lnames()) doc.names.push_back("--" + l);
  if (opt.get_type_size() != 0) split_type_label(opt.get_type_name(), doc);
  doc.default_value = opt.get_default_str();
  doc.env = opt.get_envname();
  doc.description = opt.get_description();
  doc.required = opt.get_required();
  doc.repeatable = opt.get_expected_max() > 1;
  return doc;
}

PositionalDoc describe_positional(const CLI::Option& opt) {
  OptionDoc typed;
  split_type_label(opt.get_type_name(), typed);
  return {.name = opt.get_name(true, false),
          .value = typed.value,
          .description = opt.get_description(),
          .required = opt.get_required()};
}

std::string strip_program_prefix(const std::string& name, const std::string& description) {
  // "xlbctl: manage ..." reads as "manage ..." under the program's name.
  const std::string prefix = name + ": ";
  return description.rfind(prefix, 0) == 0 ? description.substr(prefix.size()) : description;
}

void walk_commands(const CommandDoc& command, const std::string& path,
                   std::vector<const OptionDoc*> inherited, const CommandVisitor& visit) {
  visit(path, command, inherited);
  std::vector<const OptionDoc*> own = inherited;
  for (const auto& o : command.options) own.push_back(&o);
  for (const auto& sub : command.subcommands) {
    walk_commands(sub, path + " " + sub.name,
                  sub.takes_parent_options ? own : std::vector<const OptionDoc*>{}, visit);
  }
}

}  // namespace

CommandDoc describe_command_line(const CLI::App& app) {
  CommandDoc doc;
  doc.name = app.get_name();
  doc.aliases = app.get_aliases();
  doc.description = strip_program_prefix(doc.name, app.get_description());
  doc.requires_subcommand = app.get_require_subcommand_min() > 0;
  doc.takes_parent_options = app.get_fallthrough();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (opt->get_snames().empty() && opt->get_lnames().empty()) {
      if (opt->get_positional()) doc.positionals.push_back(describe_positional(*opt));
      continue;
    }
    doc.options.push_back(describe_option(*opt));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden
    doc.subcommands.push_back(describe_command_line(*sub));
  }
  return doc;
}

void for_each_command(const CommandDoc& root, const CommandVisitor& visit) {
  walk_commands(root, root.name, {}, visit);
}

}  // namespace xlb::clidoc
