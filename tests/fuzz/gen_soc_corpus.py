#!/usr/bin/env python3
# Writes the seed corpus of fuzz_ampd_soc: the example SoC descriptions (tools/ampd/soc/) compiled
# by dtc, and variants of them that each break or stretch one rule of docs/ampd-soc.md, so that
# the fuzzer starts from trees that reach every check (libfdt itself is not instrumented, so it
# finds new valid structure slowly on its own). Needs dtc. Run from anywhere:
# python3 gen_soc_corpus.py
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOC = os.path.join(HERE, '..', '..', 'tools', 'ampd', 'soc')
OUT = os.path.join(HERE, 'corpus', 'ampd_soc')


def source(name):
    with open(os.path.join(SOC, name + '.dts')) as f:
        return f.read()


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def many(n):
    """n processors, each with regions of its own."""
    regions, procs = '', ''
    for i in range(n):
        regions += ('r%d: r%d@10000000 { reg = <0x10000000 0x100000>; };\n'
                    'p%d: p%d@20000000 { reg = <0x20000000 0x200000>; };\n') % (i, i, i, i)
        procs += ('cpu%d { compatible = "amp,sim-rproc"; firmware-name = "f.elf"; '
                  'memory-region = <&r%d>, <&p%d>; };\n') % (i, i, i)
    return ('/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n'
            'reserved-memory { #address-cells = <1>; #size-cells = <1>; ranges;\n%s};\n'
            'remoteproc {\n%s};\n};\n') % (regions, procs)


def variants():
    d, p = source('sim-default'), source('sim-pinned')
    yield 'sim-default', d
    yield 'sim-pinned', p
    yield 'shared-region', edit(d, '<&sim1_ram>, <&sim1_pool>', '<&sim1_ram>, <&sim0_pool>')
    yield 'options', edit(d, 'sim1 {', 'sim1 {\nlabel = "dsp"; status = "okay"; amp,notify = "poll";'
                          ' amp,cpu = <3>; amp,auto-boot; amp,no-recovery; amp,watchdog-ms = <250>;')
    yield 'disabled-names', edit(edit(d, 'sim0 {', 'sim0 {\nstatus = "disabled";'),
                                 '"ram", "pool"', '"pool", "ram"')
    yield 'overlap', edit(d, 'reg = <0x20000000 0x200000>;', 'reg = <0x10080000 0x200000>;')
    yield 'bad-phandle', edit(d, '<&sim0_ram>, <&sim0_pool>', '<&sim0_ram>, <0x77>')
    yield 'outside-phandle', edit(edit(d, 'remoteproc {', 'x: other { };\nremoteproc {'),
                                  '<&sim0_ram>, <&sim0_pool>', '<&sim0_ram>, <&x>')
    yield 'bad-cpu', edit(p, 'amp,cpu = <1>;', 'amp,cpu = <1024>;')
    yield 'bad-notify', edit(p, 'amp,notify = "poll";', 'amp,notify = "irq";')
    yield 'bad-bool', edit(p, 'amp,auto-boot;', 'amp,auto-boot = <1>;')
    yield 'bad-watchdog', edit(p, 'amp,watchdog-ms = <1000>;', 'amp,watchdog-ms = <3600001>;')
    yield 'bad-names', edit(p, '"pool", "ram"', '"pool", "pool"')
    yield 'unknown-name', edit(p, '"pool", "ram"', '"pool", "vdev0buffer"')
    yield 'wrap', edit(p, '<0x0 0x30000000 0x0 0x800000>', '<0xffffffff 0xfffff000 0x0 0x2000>')
    yield 'above-4g', edit(p, '<0x0 0x30000000 0x0 0x800000>', '<0x1 0x30000000 0x0 0x800000>')
    yield 'size-0', edit(d, 'reg = <0x10000000 0x100000>;', 'reg = <0x10000000 0x0>;')
    yield 'bad-cells', edit(d, '#address-cells = <1>;\n\t\t#size-cells', '#address-cells = <3>;\n\t\t#size-cells')
    yield 'disabled-region', edit(d, 'no-map;', 'no-map; status = "disabled";')
    yield 'bad-label', edit(p, 'label = "offload";', 'label = "off load";')
    yield 'dup-label', edit(p, 'label = "offload";', 'label = "rt";')
    yield 'bad-firmware', edit(d, '"rpmsg-echo.elf"', '"../rpmsg-echo.elf"')
    yield 'unknown-platform', edit(d, '"amp,sim-rproc";', '"vendor,dsp-rproc";')
    yield 'no-remoteproc', edit(d, 'remoteproc {', 'rproc {')
    m = source('qemu-m4')
    yield 'qemu-m4', m
    yield 'qemu-m4-past-ram', edit(m, 'reg = <0x21100000 0xeff000>;', 'reg = <0x21100000 0xf00000>;')
    s = source('shm-openamp')
    yield 'shm-openamp', s
    yield 'shm-relative', edit(s, '"/dev/shm/amp-dsp1.shm"', '"amp-dsp1.shm"')
    yield 'shm-firmware', edit(s, 'amp,auto-boot;', 'amp,auto-boot; firmware-name = "a.elf";')
    yield 'shm-buffers', edit(s, '<0x10000 0x80000>', '<0x10000>')
    yield 'shm-buf-size', edit(s, '<1024>', '<1020>')
    yield 'shm-mixed', edit(d, 'sim1 {', 'shm9 { compatible = "amp,shm-rproc"; amp,shm-size = <0x100000>; };\nsim1 {')
    yield 'sixteen', many(16)
    yield 'seventeen', many(17)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, text in variants():
        subprocess.run(['dtc', '-q', '-I', 'dts', '-O', 'dtb', '-o', os.path.join(OUT, name), '-'],
                       input=text.encode(), check=True)
    # Truncated: the header promises more than the file holds.
    with open(os.path.join(OUT, 'sim-pinned'), 'rb') as f:
        blob = f.read()
    with open(os.path.join(OUT, 'truncated'), 'wb') as f:
        f.write(blob[:200])


if __name__ == '__main__':
    main()
