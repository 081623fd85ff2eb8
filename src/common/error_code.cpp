#include "common/error_code.h"

#include <ostream>

namespace xlb {

std::ostream& operator<<(std::ostream& out, ErrorCode code) { return out << wire_name(code); }

}  // namespace xlb
