#!/usr/bin/env python3
# Writes the seed corpus of fuzz_elf: small ELF32 and ELF64 firmware images with two PT_LOAD
# segments and a .resource_table section (carveout, trace, rpmsg vdev, vendor entry) inside the
# data segment, plus broken variants: truncated, an entry point in data or in a gap, a table in a
# gap, in the zero-filled tail, or where its segment loads other bytes. Also the vring seeds of
# fuzz_rsc_table (a fixed da on and off its alignment). Run from anywhere: python3 gen_elf_corpus.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'elf')
OUT_RSC = os.path.join(HERE, 'corpus', 'rsc_table')


def rsc_table(vring_da=0xffffffff):
    def table(entries):
        n = len(entries)
        off = 16 + 4 * n
        offs, body = [], b''
        for e in entries:
            offs.append(off + len(body))
            body += e
        return struct.pack('<IIII', 1, n, 0, 0) + b''.join(struct.pack('<I', o) for o in offs) + body
    carve = struct.pack('<I', 0) + struct.pack('<IIIII', 0xffffffff, 0xffffffff, 0x1000, 0, 0) + b'heap'.ljust(32, b'\0')
    trace = struct.pack('<I', 2) + struct.pack('<III', 0x100800, 0x100, 0) + b'trace0'.ljust(32, b'\0')
    vdev = struct.pack('<I', 3) + struct.pack('<IIIIIBBBB', 7, 0, 1, 0, 0, 0, 2, 0, 0) + \
        struct.pack('<IIIII', vring_da, 16, 16, 0, 0) * 2
    vend = struct.pack('<II', 128, 0x1234)
    return table([carve, trace, vdev, vend])


def elf(is64, machine=62, entry=None, rsc_da=None):
    rsc = rsc_table()
    code = b'\xc3' * 64
    data = b'\x5a' * 16 + rsc
    ehsize, phsize, shsize = (64, 56, 64) if is64 else (52, 32, 40)
    phoff = ehsize
    code_off = phoff + 2 * phsize
    data_off = code_off + len(code)
    strtab = b'\0.text\0.resource_table\0.shstrtab\0'
    str_off = data_off + len(data)
    shoff = (str_off + len(strtab) + 7) & ~7
    da_code, da_data = 0x100000, 0x101000
    entry = da_code if entry is None else entry
    rsc_da = da_data + 16 if rsc_da is None else rsc_da
    sections = [(0, 0, 0, 0, 0),
                (1, 1, da_code, code_off, len(code)),
                (7, 1, rsc_da, data_off + 16, len(rsc)),
                (23, 3, 0, str_off, len(strtab))]
    ident = b'\x7fELF' + bytes([2 if is64 else 1, 1, 1]) + b'\0' * 9
    if is64:
        hdr = ident + struct.pack('<HHIQQQIHHHHHH', 2, machine, 1, entry, phoff, shoff, 0,
                                  ehsize, phsize, 2, shsize, len(sections), 3)
        ph = struct.pack('<IIQQQQQQ', 1, 5, code_off, da_code, da_code, len(code), len(code), 16)
        ph += struct.pack('<IIQQQQQQ', 1, 6, data_off, da_data, da_data, len(data), 0x800, 16)
        sh = b''.join(struct.pack('<IIQQQQIIQQ', n, t, 0, a, o, s, 0, 0, 1, 0) for n, t, a, o, s in sections)
    else:
        hdr = ident + struct.pack('<HHIIIIIHHHHHH', 2, machine, 1, entry, phoff, shoff, 0,
                                  ehsize, phsize, 2, shsize, len(sections), 3)
        ph = struct.pack('<IIIIIIII', 1, code_off, da_code, da_code, len(code), len(code), 5, 16)
        ph += struct.pack('<IIIIIIII', 1, data_off, da_data, da_data, len(data), 0x800, 6, 16)
        sh = b''.join(struct.pack('<IIIIIIIIII', n, t, 0, a, o, s, 0, 0, 1, 0) for n, t, a, o, s in sections)
    img = hdr + ph + code + data + strtab
    img += b'\0' * (shoff - len(img)) + sh
    return img


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        'elf64-rsc': elf(True),
        'elf32-rsc-arm': elf(False, 40),
        'elf64-truncated': elf(True)[:200],
        'elf32-no-sections': elf(False)[:-160],
        'elf64-entry-in-data': elf(True, entry=0x101000),
        'elf32-entry-in-gap': elf(False, entry=0x100800),
        'elf64-rsc-in-gap': elf(True, rsc_da=0x100800),
        'elf32-rsc-in-bss': elf(False, rsc_da=0x101400),
        'elf64-rsc-off-its-bytes': elf(True, rsc_da=0x101008),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    os.makedirs(OUT_RSC, exist_ok=True)
    for name, da in (('vring-fixed-aligned', 0x20000000), ('vring-fixed-unaligned', 0x20000008)):
        with open(os.path.join(OUT_RSC, name), 'wb') as f:
            f.write(rsc_table(da))


if __name__ == '__main__':
    main()
