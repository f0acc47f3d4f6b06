#!/usr/bin/env node
// Static checks for mach86 user programs (images/user): each FILE must be
// a 32-bit little-endian i386 ET_EXEC with exactly two PT_LOAD segments,
//   1. R-X at 0x08048000 (text + rodata), containing the entry point,
//   2. RW- above it (data + bss, p_memsz >= p_filesz),
// page-aligned (p_vaddr and p_offset multiples of 4096), not overlapping,
// below the 0x80000000 user/kernel boundary, and no PT_INTERP/PT_DYNAMIC.
// Usage: node user/tools/ucheck.mjs FILE...   (exit 1 on any failure)
import { readFileSync } from 'node:fs';

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
const BASE = 0x08048000;
const USER_TOP = 0x80000000;
const hex = (v) => '0x' + v.toString(16).padStart(8, '0');

function check(file) {
  const errs = [];
  const buf = readFileSync(file);
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return ['not an ELF file'];
  if (buf[4] !== 1) errs.push('not ELFCLASS32');
  if (buf[5] !== 1) errs.push('not little-endian');
  if (buf.readUInt16LE(16) !== 2) errs.push('not ET_EXEC');
  if (buf.readUInt16LE(18) !== 3) errs.push('e_machine is not EM_386');
  const entry = buf.readUInt32LE(24);
  const phoff = buf.readUInt32LE(28);
  const phentsize = buf.readUInt16LE(42);
  const phnum = buf.readUInt16LE(44);
  const loads = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = buf.readUInt32LE(p);
    if (type === PT_INTERP || type === PT_DYNAMIC) errs.push('dynamic executable (PT_INTERP/PT_DYNAMIC)');
    if (type !== PT_LOAD) continue;
    loads.push({
      offset: buf.readUInt32LE(p + 4), vaddr: buf.readUInt32LE(p + 8),
      filesz: buf.readUInt32LE(p + 16), memsz: buf.readUInt32LE(p + 20), flags: buf.readUInt32LE(p + 24),
    });
  }
  if (loads.length !== 2) {
    errs.push(`${loads.length} PT_LOAD segments, expected 2`);
  } else {
    const [t, d] = loads;
    if (t.vaddr !== BASE) errs.push(`text PT_LOAD at ${hex(t.vaddr)}, expected ${hex(BASE)}`);
    if (t.flags !== 5) errs.push(`text PT_LOAD flags ${t.flags}, expected R X (5)`);
    if (d.flags !== 6) errs.push(`data PT_LOAD flags ${d.flags}, expected R W (6)`);
    if (!(entry >= t.vaddr && entry < t.vaddr + t.memsz)) errs.push(`entry ${hex(entry)} is not in the text PT_LOAD`);
    if (d.vaddr < t.vaddr + t.memsz) errs.push('data PT_LOAD overlaps text');
    if (d.vaddr + d.memsz > USER_TOP) errs.push('data PT_LOAD reaches the kernel half');
    for (const s of loads) {
      if (s.vaddr % 4096 || s.offset % 4096) errs.push(`PT_LOAD at ${hex(s.vaddr)} (offset ${hex(s.offset)}) not page-aligned`);
      if (s.memsz < s.filesz) errs.push(`PT_LOAD at ${hex(s.vaddr)}: memsz < filesz`);
      if (s.offset + s.filesz > buf.length) errs.push(`PT_LOAD at ${hex(s.vaddr)}: file too short`);
    }
  }
  const desc = loads.map((s) => `${hex(s.vaddr)}+${s.memsz.toString(16)}(${s.flags === 5 ? 'RX' : s.flags === 6 ? 'RW' : s.flags})`).join(' ');
  return errs.length ? errs : `entry=${hex(entry)} ${desc}`;
}

let bad = 0;
for (const f of process.argv.slice(2)) {
  const r = check(f);
  if (Array.isArray(r)) {
    bad++;
    for (const e of r) console.log(`FAIL ${f}: ${e}`);
  } else {
    console.log(`ok   ${f}: ${r}`);
  }
}
if (!process.argv[2]) { console.error('usage: ucheck.mjs FILE...'); process.exit(2); }
process.exit(bad ? 1 : 0);
