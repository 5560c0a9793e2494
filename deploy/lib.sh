# Shared by deploy/start and deploy/test; sourced from the repository root.
# shellcheck shell=bash

MIN_PYTHON_MINOR=11
VENV=.venv
VENV_STAMP="$VENV/.securescope-installed"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root and sudo is not installed; run it as root, then run this again"
    fi
}

_apt_updated=
apt_install() {
    command -v apt-get >/dev/null 2>&1 \
        || die "no apt-get: install $* with your system's package manager, then run this again"
    if [ -z "$_apt_updated" ]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        _apt_updated=1
    fi
    say "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# Sets PYTHON to the first interpreter found that is 3.11 or newer.
ensure_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c "import sys; sys.exit(sys.version_info < (3, $MIN_PYTHON_MINOR))" \
                2>/dev/null
        then
            PYTHON=$(command -v "$candidate")
            return
        fi
    done
    die "SecureScope needs Python 3.$MIN_PYTHON_MINOR or newer; found: $(python3 --version 2>&1)"
}

_create_venv() {
    # Debian and Ubuntu split ensurepip (which venv needs) into the python3.X-venv package.
    if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
        local version
        version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        say "$PYTHON has no ensurepip; installing python$version-venv"
        apt_install "python$version-venv" || apt_install python3-venv
    fi
    "$PYTHON" -m venv "$VENV" || die "could not create $VENV with $PYTHON"
}

# llama.cpp's AMX matrix kernels crash the process on the first generation on Sapphire Rapids
# and newer Xeons (ggml-org/llama.cpp#20824, closed without a fix), so llama-cpp-python is built
# for the CPU it runs on minus AMX. A no-op on CPUs without AMX.
LLAMA_CPP_CMAKE_ARGS="-DCMAKE_C_FLAGS=-U__AMX_INT8__ -DCMAKE_CXX_FLAGS=-U__AMX_INT8__"
# pip's wheel cache keys a built wheel by its source, not by build flags, and would hand back one
# built with AMX: the wheels built with the flags above are kept here instead, once per machine.
LLAMA_CPP_WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/securescope/wheels/llama-cpp-no-amx"

_install_llama_cpp() {
    local requirement pip=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
    requirement=$("$VENV/bin/python" -c 'import tomllib
extras = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]
print(next(r for r in extras["llm"] if r.startswith("llama-cpp-python")))')
    local from_wheels=(install --no-deps --force-reinstall --no-index --find-links
        "$LLAMA_CPP_WHEELS" "$requirement")
    if ! "${pip[@]}" "${from_wheels[@]}" 2>/dev/null; then
        say "building $requirement without AMX kernels (about 6 minutes, once per machine)"
        CMAKE_ARGS="$LLAMA_CPP_CMAKE_ARGS${CMAKE_ARGS:+ $CMAKE_ARGS}" "${pip[@]}" wheel \
            --no-deps --no-cache-dir -w "$LLAMA_CPP_WHEELS" "$requirement" \
            || die "building llama-cpp-python failed"
        "${pip[@]}" "${from_wheels[@]}" || die "installing llama-cpp-python failed"
    fi
}

# What an installed .venv was made from: pyproject.toml and the llama.cpp build flags.
venv_recipe_digest() {
    LLAMA_CPP_CMAKE_ARGS=$LLAMA_CPP_CMAKE_ARGS "$VENV/bin/python" -c 'import hashlib, os
recipe = open("pyproject.toml", "rb").read() + os.environ["LLAMA_CPP_CMAKE_ARGS"].encode()
print(hashlib.sha256(recipe).hexdigest())'
}

# ensure_venv [EXTRA...]: a .venv with the project installed (editable) with those extras.
# pip runs only when pyproject.toml or the llama.cpp build flags changed, or an extra is missing
# since the last install; the stamp keeps extras installed before, so deploy/start after
# deploy/test reinstalls nothing.
ensure_venv() {
    ensure_python
    [ -x "$VENV/bin/python" ] || _create_venv
    local digest installed_digest="" installed_extras="" wanted extra missing=
    digest=$(venv_recipe_digest)
    if [ -f "$VENV_STAMP" ]; then
        { read -r installed_digest; read -r installed_extras; } <"$VENV_STAMP" || true
    fi
    for extra in "$@"; do
        case " $installed_extras " in *" $extra "*) ;; *) missing=1 ;; esac
    done
    if [ "$digest" = "$installed_digest" ] && [ -z "$missing" ]; then
        return
    fi
    # shellcheck disable=SC2086 # the stamp's extras are a space-separated list
    wanted=$(printf '%s\n' $installed_extras "$@" | sort -u | tr '\n' ' ')
    wanted=${wanted% }
    say "installing SecureScope into $VENV${wanted:+ with extras: $wanted}"
    case " $wanted " in *" llm "*) _install_llama_cpp ;; esac
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
        -e ".${wanted:+[${wanted// /,}]}" || die "pip install failed"
    printf '%s\n%s\n' "$digest" "$wanted" >"$VENV_STAMP"
}

# mypy over the project (pyproject.toml [tool.mypy]), failing on any error that
# mypy-baseline.txt does not list and on any it lists that is gone. Run by deploy/test and the
# pre-commit hook.
type_check() {
    # mypy exits 1 on the baseline's errors too: the filter decides.
    { "$VENV/bin/mypy" || true; } | "$VENV/bin/mypy-baseline" filter
}

# pip-audit over every package installed in .venv, against the advisories PyPI publishes (the
# PyPA advisory database, OSV's source). pip-audit lives in a virtual environment of its own so
# its dependencies never mix with the application's; it is reinstalled at its newest version
# each week, and the advisory data is fetched fresh on every run, so the check keeps current
# without a pinned database. A known vulnerability fails the lane. Where PyPI cannot be reached
# nothing can be audited: that is said loudly, and fails too when DEPENDENCY_AUDIT_REQUIRED=1.
AUDIT_VENV=.venv-audit
dependency_audit() {
    if [ -z "$(find "$AUDIT_VENV/bin/pip-audit" -mtime -7 2>/dev/null)" ]; then
        ensure_python
        python3 -m venv "$AUDIT_VENV" || return 1
        "$AUDIT_VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade \
            pip-audit || { say "pip-audit could not be installed"; return 1; }
        touch "$AUDIT_VENV/bin/pip-audit"
    fi
    local site_packages report status=0
    site_packages=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    report=$("$AUDIT_VENV/bin/pip-audit" --path "$site_packages" --progress-spinner off 2>&1) \
        || status=$?
    printf '%s\n' "$report"
    if [ "$status" -ne 0 ]; then
        return "$status"
    fi
    # Django is on PyPI: when it "could not be audited", PyPI did not answer at all.
    if grep -q "could not be audited: django " <<<"$report"; then
        say "WARNING: PyPI's advisory data could not be reached: the dependencies were NOT audited"
        [ "${DEPENDENCY_AUDIT_REQUIRED:-0}" != 1 ] || return 1
    fi
    return 0
}
