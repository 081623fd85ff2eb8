# shellcheck shell=bash
# Everything an e2e scenario (or the demo) needs: `source tests/e2e/lib/e2e.sh`.
E2E_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$E2E_LIB/assert.sh"
# shellcheck source=tests/e2e/lib/netns.sh
source "$E2E_LIB/netns.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$E2E_LIB/servers.sh"
# shellcheck source=tests/e2e/lib/xlb.sh
source "$E2E_LIB/xlb.sh"
# shellcheck source=tests/e2e/lib/topologies.sh
source "$E2E_LIB/topologies.sh"
