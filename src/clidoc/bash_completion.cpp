#include "clidoc/bash_completion.h"

#include <algorithm>
#include <sstream>

namespace xlb::clidoc {
namespace {

// 'text', with any ' closed, escaped and reopened.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string space_joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// "get lb" for "xlbctl get lb": the words after the program's name.
std::string words_after_program(const std::string& path, const std::string& program) {
  return path.size() > program.size() ? path.substr(program.size() + 1) : "";
}

struct CompletionTables {
  std::ostringstream grammar;  // case arms of <fn>_grammar
  std::ostringstream choices;  // case arms of <fn>_choices
  std::ostringstream aliases;  // case arms of <fn>_command_name
};

void add_command_arms(CompletionTables& t, const std::string& key, const CommandDoc& c,
                      const std::vector<const OptionDoc*>& inherited) {
  std::vector<std::string> subcommands, options, valued;
  for (const auto& s : c.subcommands) {
    subcommands.push_back(s.name);
    for (const auto& a : s.aliases) {
      subcommands.push_back(a);
      t.aliases << "    " << shell_quoted(key + "|" + a) << ") REPLY=" << shell_quoted(s.name)
                << " ;;\n";
    }
  }
  // Its own options first: a parent's -h,--help is the same flag again.
  std::vector<const OptionDoc*> accepted;
  for (const auto& o : c.options) accepted.push_back(&o);
  accepted.insert(accepted.end(), inherited.begin(), inherited.end());
  for (const OptionDoc* o : accepted) {
    for (const auto& n : o->names) {
      if (std::find(options.begin(), options.end(), n) != options.end()) continue;
      options.push_back(n);
      if (!o->value.empty()) valued.push_back(n);
      if (!o->choices.empty()) {
        t.choices << "    " << shell_quoted(key + "|" + n)
                  << ") REPLY=" << shell_quoted(space_joined(o->choices)) << " ;;\n";
      }
    }
  }
  t.grammar << "    " << shell_quoted(key) << ")\n"
            << "      subcommands=" << shell_quoted(space_joined(subcommands)) << "\n"
            << "      options=" << shell_quoted(space_joined(options)) << "\n"
            << "      valued=" << shell_quoted(space_joined(valued)) << "\n"
            << "      ;;\n";
}

// The completion function: finds the command path in the words typed so far (skipping options
// and their values), then completes an option's value, an option, or a subcommand.
constexpr const char* kCompletionBody = R"(
# @F@ completion: the command path typed so far, then an option's value, an option or a
# subcommand. Bash splits "--opt=value" into "--opt" "=" "value" when '=' breaks words.
@F@() {
  local cur=${COMP_WORDS[COMP_CWORD]} path='' word option='' value i skip=0 REPLY
  local subcommands options valued
  @F@_grammar ''
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if ((skip > 0)); then
      ((skip--))
    elif [[ $word == -* ]]; then
      if [[ $word != *=* && " $valued " == *" $word "* ]]; then
        skip=1
        [[ ${COMP_WORDS[i + 1]:-} == = ]] && skip=2
      fi
    elif [[ " $subcommands " == *" $word "* ]]; then
      @F@_command_name "$path" "$word"
      path=${path:+$path }$REPLY
      @F@_grammar "$path"
    fi
  done
  local prev=${COMP_WORDS[COMP_CWORD - 1]:-}
  if [[ $cur == = ]]; then
    option=$prev value=''
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    option=${COMP_WORDS[COMP_CWORD - 2]} value=$cur
  elif [[ $cur == -*=* ]]; then
    option=${cur%%=*} value=${cur#*=}
  elif [[ $prev == -* && " $valued " == *" $prev "* ]]; then
    option=$prev value=$cur
  fi
  if [[ -n $option ]]; then
    @F@_choices "$path" "$option"
    local prefix=''
    [[ $cur == -*=* ]] && prefix="$option="
    # No listed values: nothing here, and bash offers file names (complete -o default).
    mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$REPLY" -- "$value")
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$subcommands" -- "$cur")
  fi
}
complete -o default -F @F@ @NAME@
)";

std::string with_placeholder_replaced(std::string text, const std::string& from,
                                      const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string render_bash_completion(const CommandDoc& root) {
  std::string fn = "_" + root.name;
  for (char& c : fn) {
    if (c == '-') c = '_';
  }
  CompletionTables t;
  for_each_command(root, [&t, &root](const std::string& path, const CommandDoc& c,
                                     const std::vector<const OptionDoc*>& inherited) {
    add_command_arms(t, words_after_program(path, root.name), c, inherited);
  });

  std::ostringstream out;
  out << "# bash completion for " << root.name << ": generated by `" << root.name
      << " --clidoc=bash-completion`\n# from the grammar " << root.name
      << " parses its command line with; edit the option definitions, not this file.\n"
      << "# shellcheck shell=bash disable=SC2034\n\n"
      << "# " << fn << "_grammar <path>: a command's subcommands, options, and options taking "
      << "a value.\n"
      << fn << "_grammar() {\n  case $1 in\n"
      << t.grammar.str() << "    *) subcommands='' options='' valued='' ;;\n  esac\n}\n\n"
      << "# " << fn << "_choices <path> <option>: the values the option accepts, if listed.\n"
      << fn << "_choices() {\n  case \"$1|$2\" in\n"
      << t.choices.str() << "    *) REPLY='' ;;\n  esac\n}\n\n"
      << "# " << fn << "_command_name <path> <word>: the subcommand a word (maybe an alias) "
      << "names.\n"
      << fn << "_command_name() {\n  case \"$1|$2\" in\n"
      << t.aliases.str() << "    *) REPLY=$2 ;;\n  esac\n}\n"
      << with_placeholder_replaced(with_placeholder_replaced(kCompletionBody, "@F@", fn), "@NAME@",
                                   root.name);
  return out.str();
}

}  // namespace xlb::clidoc
