"""The Grafana dashboard is importable as is and queries only documented metrics.

Checks docs/grafana/xlb-dashboard.json: uid and title set, a Prometheus datasource variable
that every panel and query uses, every PromQL expression accepted by `promtool check rules`
(Grafana's variables replaced by sample values), and every xlb_* metric it reads listed in
docs/metrics.md. Usage: dashboard_check.py <repo-root> <promtool>
"""
import json
import re
import subprocess
import sys
import tempfile

root, promtool = sys.argv[1], sys.argv[2]
with open(f"{root}/docs/grafana/xlb-dashboard.json", encoding="utf-8") as f:
    dash = json.load(f)
with open(f"{root}/docs/metrics.md", encoding="utf-8") as f:
    documented = set(re.findall(r"^\| `(xlb_[a-z_]+)` \|", f.read(), re.M))

errors = []
if not dash.get("uid") or not dash.get("title"):
    errors.append("the dashboard needs a uid and a title")
variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
if variables.get("datasource", {}).get("type") != "datasource" or \
        variables["datasource"].get("query") != "prometheus":
    errors.append("no Prometheus datasource variable named 'datasource'")

WANT_DS = {"type": "prometheus", "uid": "${datasource}"}
exprs = []
for panel in dash["panels"]:
    if panel["type"] == "row":
        continue
    if panel.get("datasource") != WANT_DS:
        errors.append(f"panel '{panel['title']}' does not use the datasource variable")
    for target in panel.get("targets", []):
        if target.get("datasource") != WANT_DS:
            errors.append(f"a query of panel '{panel['title']}' does not use the datasource variable")
        exprs.append((panel["title"], target["expr"]))

# Grafana's variables → values promtool can parse.
SAMPLES = {"$__rate_interval": "1m", "$__range": "1h", "$rule": ".*"}
rules = []
for i, (title, expr) in enumerate(exprs):
    for var, value in SAMPLES.items():
        expr = expr.replace(var, value)
    rules.append({"record": f"dashboard:query{i}", "expr": expr})
    for name in re.findall(r"\bxlb_[a-z_]+", expr):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if base not in documented:
            errors.append(f"panel '{title}' reads {name}, which docs/metrics.md does not list")

with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
    json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)  # JSON is YAML
    f.flush()
    checked = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
    if checked.returncode != 0:
        errors.append("promtool rejects a query:\n" + checked.stdout + checked.stderr)

if errors:
    print("\n".join(errors))
    sys.exit(1)
print(f"dashboard ok: {len(exprs)} queries, {len(documented)} documented metrics")
