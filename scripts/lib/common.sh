# Shared by scripts/test and scripts/demo: the Debian packages the build needs, installing the
# missing ones, and the configure + build step. Source it; do not run it.

RETHINK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Everything the build and its tests need, by Debian package name.
RETHINK_PACKAGES=(
  cmake g++ make git
  libopenblas-openmp-dev liblapacke-dev
  librandom123-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  zlib1g-dev libjpeg62-turbo-dev libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  dataset-fashion-mnist
)

log() { printf '==> %s\n' "$*"; }

# Installs the packages named that are not installed yet. Needs root; otherwise prints the one
# command that would do it and fails.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# nvcc is often installed outside PATH; the build finds it there (CUDA code compiles and links
# without a GPU).
add_cuda_to_path() {
  if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then
    export PATH="/usr/local/cuda/bin:$PATH"
  fi
}

# configure_and_build <preset> [targets...]: the CMake preset's build tree, built with every core.
configure_and_build() {
  local preset=$1
  shift
  add_cuda_to_path
  log "configuring (preset $preset)"
  cmake --preset "$preset" -S "$RETHINK_ROOT" >/dev/null
  log "building ${*:-everything} with $(nproc) jobs"
  local targets=()
  local t
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build --preset "$preset" -j "$(nproc)" "${targets[@]}"
}
