#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A relocated install boots a firmware: install into one directory, build a program there
against the shared library (rpath $ORIGIN/../lib), move the whole tree elsewhere, then, with
nothing in the environment pointing at it: the moved ampd and ampctl boot the echo firmware
and echo through it; the moved program finds its library, the boot ROM and the sample firmware
beside it; programs built against the moved tree with pkg-config and with find_package(amp)
run; ampd finds an example SoC by name. Then without the boot ROM: ampd and the library refuse
at once, saying where they looked.
Usage: check_relocated.py BUILD_DIR SOURCE_DIR libdir=... bindir=... sbindir=... libexecdir=..."""
import os
import shutil

from installed import Daemon, Watch, clean_env, fail, install, layout, run, scratch, source

here = os.path.join(source, "tests", "integration", "install")
work = scratch()
first = install(os.path.join(work, "first"))
libdir = layout["libdir"]

# A program in the install's bindir, linked with the shared library through a relative rpath.
pc = os.path.join(first, libdir, "pkgconfig")
flags = run(["pkg-config", "--cflags", "--libs", "amp"],
            env=clean_env(PKG_CONFIG_PATH=pc)).stdout.split()
origin = os.path.relpath(os.path.join(first, libdir), os.path.join(first, layout["bindir"]))
run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", os.path.join(here, "consumer.c"),
     "-o", os.path.join(first, layout["bindir"], "amp-consumer"), *flags,
     "-Wl,-rpath,$ORIGIN/" + origin])

moved = os.path.join(work, "moved")
os.rename(first, moved)
if os.path.exists(first):
    fail("the first prefix is still there")
bindir = os.path.join(moved, layout["bindir"])
ampd = os.path.join(moved, layout["sbindir"], "ampd")
boot_rom = os.path.join(moved, layout["libexecdir"], "amp", "amp-sim-core")
sock = os.path.join(work, "ampd.sock")


def ampctl(*args, code=0):
    return run([os.path.join(bindir, "ampctl"), "--socket", sock, *args], code=code,
               env=clean_env()).stdout


# The moved daemon: its boot ROM and its sample firmwares are the moved ones.
daemon = Daemon(ampd, sock, "--log-level", "debug")
daemon.wait_ready()
if f"sim1: boot ROM {boot_rom}\n" not in daemon.said():
    fail(f"ampd did not take the moved boot ROM {boot_rom}: {daemon.said()}")
watch = Watch(sock)
ampctl("start", "sim1")
watch.wait("channel-up", "proc=sim1", "name=rpmsg-echo")
watch.close()
out = ampctl("echo-test", "sim1/rpmsg-echo", "-n", "50")
if "count 50" not in out:
    fail(f"echo-test through the moved ampd: {out}")

# The program built before the move: its library through $ORIGIN, the boot ROM and the echo
# firmware (by name: the sample firmwares' directory) relative to the library.
answered = "consumer: the installed echo firmware answered"
p = run([os.path.join(bindir, "amp-consumer"), "rpmsg-echo.elf"],
        env=clean_env(AMP_LOG_LEVEL="debug"))
if answered not in p.stdout or f"boot ROM {boot_rom}" not in p.stderr:
    fail(f"the moved program: {p.stdout} {p.stderr}")

# Built against the moved tree: pkg-config (the prefix from where the .pc file is now)...
pc = os.path.join(moved, libdir, "pkgconfig")
env = clean_env(PKG_CONFIG_PATH=pc)
flags = run(["pkg-config", "--cflags", "--libs", "amp"], env=env).stdout.split()
found_libdir = run(["pkg-config", "--variable=libdir", "amp"], env=env).stdout.strip()
if os.path.realpath(found_libdir) != os.path.realpath(os.path.join(moved, libdir)):
    fail(f"pkg-config's libdir is {found_libdir}, not the moved tree's")
exe = os.path.join(work, "consumer-pc")
run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", os.path.join(here, "consumer.c"),
     "-o", exe, *flags, "-Wl,-rpath," + found_libdir])
if answered not in run([exe, "rpmsg-echo.elf"], env=clean_env()).stdout:
    fail("the program built with pkg-config against the moved tree did not get its echo")

# ...and the CMake package: shared libraries for both, the static one too.
cbuild = os.path.join(work, "cmake-consumer")
run(["cmake", "-S", os.path.join(here, "cmake-consumer"), "-B", cbuild,
     "-DCMAKE_PREFIX_PATH=" + moved, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], env=clean_env())
run(["cmake", "--build", cbuild], env=clean_env())
needed = run(["readelf", "-d", os.path.join(cbuild, "client_consumer")]).stdout
if "libamp-client.so.0" not in needed:
    fail(f"client_consumer is not linked with libamp-client.so.0: {needed}")
if answered not in run([os.path.join(cbuild, "consumer"), "rpmsg-echo.elf"],
                       env=clean_env()).stdout:
    fail("the consumer on amp::amp did not get its echo")
# A program linked statically outside the install has no install to look beside: it is told.
if answered not in run([os.path.join(cbuild, "consumer-static"),
                        os.path.join(moved, "share", "amp", "firmware", "rpmsg-echo.elf")],
                       env=clean_env(AMP_SIM_CORE=boot_rom)).stdout:
    fail("the consumer on amp::amp_static did not get its echo")
ampctl("stop", "sim1")
out = run([os.path.join(cbuild, "client_consumer"), sock], env=clean_env()).stdout
if "echoed" not in out:
    fail(f"client_consumer on amp::client: {out}")
daemon.stop()

# An example SoC description by name, from the moved share/amp/soc.
daemon = Daemon(ampd, sock, "--soc", "sim-default")
daemon.wait_ready()
if [line.split()[0] for line in ampctl("ls").splitlines()[1:]] != ["sim0", "sim1"]:
    fail("ampd --soc sim-default: not the two processors of the example")
daemon.stop()

# No boot ROM: refused at start with where it looked, not a crash at each boot.
shutil.move(boot_rom, boot_rom + ".away")
daemon = Daemon(ampd, sock)
if daemon.wait_exit() != 1 or f"no boot ROM (amp-sim-core): not in {boot_rom}" not in daemon.said():
    fail(f"ampd without a boot ROM: exit {daemon.proc.returncode}, said: {daemon.said()}")
p = run([os.path.join(bindir, "amp-consumer"), "rpmsg-echo.elf"], code=1, env=clean_env())
if f"no boot ROM (amp-sim-core): not in {boot_rom}" not in p.stderr:
    fail(f"the program without a boot ROM said: {p.stderr}")
daemon = Daemon(ampd, sock, env=clean_env(AMP_SIM_CORE=boot_rom))
if daemon.wait_exit() != 1 or f"boot ROM {boot_rom} ($AMP_SIM_CORE): " not in daemon.said():
    fail(f"ampd with $AMP_SIM_CORE on no file: {daemon.said()}")
shutil.move(boot_rom + ".away", boot_rom)
print("check_relocated: the moved install booted the echo firmware through ampd, its "
      "program, pkg-config and CMake consumers; a missing boot ROM is refused at start")
