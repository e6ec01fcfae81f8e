#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What `cmake --install --prefix P` puts where: the libraries static and shared (with their
soname, exporting exactly the functions the public headers mark AMP_API), pkg-config files and
CMake packages, the firmware SDK, ampd with a systemd unit written for P whose documentation is
installed, ampctl, the man pages and the bash completion where man and bash-completion look.
Usage: check_layout.py BUILD_DIR SOURCE_DIR libdir=... (the install layout)"""
import glob
import os
import re
import shutil

from installed import clean_env, fail, install, layout, run, scratch, source

prefix = install(os.path.join(scratch(), "prefix"))
lib = layout["libdir"]
version = layout["version"]
major = "0"


def at(*parts):
    return os.path.join(prefix, *parts)


expected = [
    (layout["bindir"], "ampctl"),
    (layout["sbindir"], "ampd"),
    (layout["libexecdir"], "amp/amp-sim-core"),
    (lib, "libamp.a"), (lib, "libamp-client.a"),
    (lib, "pkgconfig/amp.pc"), (lib, "pkgconfig/amp-client.pc"),
    (lib, "cmake/amp/ampConfig.cmake"), (lib, "cmake/amp/ampConfigVersion.cmake"),
    (lib, "cmake/amp/ampTargets.cmake"),
    (lib, "cmake/amp-fw/amp-fwConfig.cmake"), (lib, "cmake/amp-fw/amp-fwConfigVersion.cmake"),
    (lib, "cmake/amp-fw/AmpFirmware.cmake"),
    (lib, "amp-fw/sim/libamp_fw.a"), (lib, "amp-fw/sim/crt0.o"),
    (lib, "amp-fw/sim/firmware.ld"),
    (lib, "amp-fw/include/amp-fw/hal.h"), (lib, "amp-fw/include/amp/rpmsg_remote.h"),
    (layout["includedir"], "amp/amp.h"), (layout["includedir"], "amp/client.h"),
    (layout["datadir"], "amp/firmware/rpmsg-echo.elf"),
    (layout["datadir"], "amp/soc/sim-default.dtb"), (layout["datadir"], "amp/soc/sim-pinned.dts"),
    (layout["mandir"], "man8/ampd.8"), (layout["mandir"], "man1/ampctl.1"),
    (layout["datadir"], "bash-completion/completions/ampctl"),
    ("lib", "systemd/system/ampd.service"),
]
for d, f in expected:
    if not os.path.isfile(at(d, f)):
        fail(f"{d}/{f} is not installed")
# The freestanding SDK holds no host header: firmware built with it cannot reach libc's.
for h in glob.glob(at(lib, "amp-fw", "include", "**", "*.h"), recursive=True):
    if re.search(r"#include <(?!amp/|amp-fw/|std(int|def|bool|arg|atomic)\.h)", open(h).read()):
        fail(f"{h} includes a header that is not freestanding")

# Shared libraries: the real file, the soname link, the development link; only AMP_API out.
headers = glob.glob(os.path.join(source, "include", "amp", "*.h"))
api = {}
for h in headers:
    text = re.sub(r"AMP_PRINTF\([^)]*\)|^#.*$", "", open(h).read(), flags=re.M)
    for name in re.findall(r"\bAMP_API\b[^;{(]*?\b(\w+)\s*\(", text):
        api.setdefault(os.path.basename(h), set()).add(name)
client_api = api.pop("client.h")
host_api = set().union(*api.values())
for name, funcs in (("libamp", host_api), ("libamp-client", client_api)):
    real = f"{name}.so.{version}"
    if os.readlink(at(lib, f"{name}.so.{major}")) != real or \
            os.readlink(at(lib, f"{name}.so")) != f"{name}.so.{major}":
        fail(f"{name}.so links are not {name}.so -> {name}.so.{major} -> {real}")
    soname = re.search(r"soname: \[(.*)\]", run(["readelf", "-d", at(lib, real)]).stdout)
    if not soname or soname.group(1) != f"{name}.so.{major}":
        fail(f"{real}: soname {soname and soname.group(1)}, not {name}.so.{major}")
    syms = run(["nm", "-D", "--defined-only", at(lib, real)]).stdout.split("\n")
    exported = {s.split()[-1] for s in syms if len(s.split()) == 3}
    if exported != funcs:
        fail(f"{real} exports {sorted(exported - funcs)} beyond the AMP_API functions, and "
             f"lacks {sorted(funcs - exported)}")

# pkg-config: the shared library by default, the prefix as the .pc file finds it.
env = clean_env(PKG_CONFIG_PATH=at(lib, "pkgconfig"))
for pc, flag in (("amp", "-lamp"), ("amp-client", "-lamp-client")):
    if run(["pkg-config", "--modversion", pc], env=env).stdout.strip() != version:
        fail(f"{pc}.pc is not version {version}")
    libs = run(["pkg-config", "--libs", pc], env=env).stdout.split()
    if flag not in libs or not any(os.path.realpath(f[2:]) == os.path.realpath(at(lib))
                                   for f in libs if f.startswith("-L")):
        fail(f"pkg-config --libs {pc}: {libs}")

# The unit starts the ampd of this prefix, and the documents it names are there.
unit = open(at("lib", "systemd", "system", "ampd.service")).read()
if f"ExecStart={at(layout['sbindir'], 'ampd')} " not in unit:
    fail(f"the unit does not start {at(layout['sbindir'], 'ampd')}:\n{unit}")
docs = re.findall(r"file://(\S+)", unit)
if not docs or not all(os.path.isfile(d) for d in docs):
    fail(f"the unit's documentation {docs} is not installed")
if "man:ampd(8)" not in unit:
    fail("the unit does not name the man page")
# man finds the pages under the prefix, where it is usable.
if shutil.which("man") and shutil.which("groff"):
    p = run(["man", "-M", at(layout["mandir"]), "-w", "ampd"], code=None)
    if p.returncode == 0 and os.path.realpath(p.stdout.strip()) != \
            os.path.realpath(at(layout["mandir"], "man8", "ampd.8")):
        fail(f"man -w ampd: {p.stdout}")
print(f"check_layout: {len(expected)} files where they belong; libamp.so.{major} exports "
      f"{len(host_api)} functions, libamp-client.so.{major} {len(client_api)}, all AMP_API")
