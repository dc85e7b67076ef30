#!/usr/bin/env bash
# Checks the machine's prerequisites (Python 3.11+, Java 17+, Maven, Alertmanager,
# Prometheus) and, when run as root on Debian/Ubuntu, installs what is missing with apt-get.
set -euo pipefail

python_ok() { python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local major
  major=$(java -version 2>&1 | awk -F '"' '/version/ {print $2}' | cut -d. -f1)
  [ "${major:-0}" -ge 17 ]
}
mvn_ok() { command -v mvn >/dev/null 2>&1; }
venv_ok() { python3 -c 'import venv, ensurepip' 2>/dev/null; }
# The delivery integration tests run Debian's Alertmanager (and its Prometheus beside it).
alertmanager_ok() { [ -x /usr/bin/prometheus-alertmanager ]; }
prometheus_ok() { [ -x /usr/bin/prometheus ]; }

missing=()
python_ok || missing+=("python3")
venv_ok || missing+=("python3-venv")
java_ok || missing+=("openjdk-17-jre-headless")
mvn_ok || missing+=("maven")
alertmanager_ok || missing+=("prometheus-alertmanager")
prometheus_ok || missing+=("prometheus")

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing prerequisites: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  exit 0
fi
echo "missing prerequisites: ${missing[*]} (need Python 3.11+, Java 17+, Maven, prometheus-alertmanager and prometheus)" >&2
exit 1
