// Generates the module payloads of images/debian-installer into build/images/debian-installer/.
// They are our own deterministic files of the 2014 sizes, not Debian's binaries:
//  - initrd.gz: a gzip file of about 6.2 MiB (docs/fidelity.md §5: d-i's initrd was about 6.2 MiB in 2014),
//    the only size that reaches kernel_map (the ramdisk copy and the device_read buffer);
//  - ext2fs.static, ld.so.1: filler of roughly the binaries' sizes; they only take physical
//    memory (i386at_init copies every module), never kernel_map.
import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const out = process.argv[2];
mkdirSync(out, { recursive: true });

function bytes(n, seed) {
    const b = new Uint8Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
        s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
        b[i] = s & 0xff;
    }
    return b;
}

// Random data does not compress: level 0 keeps the gzip at the payload size plus framing.
writeFileSync(join(out, "initrd.gz"), gzipSync(bytes(6_500_000, 1), { level: 0 }));
writeFileSync(join(out, "ext2fs.static"), bytes(1_500_000, 2));
writeFileSync(join(out, "ld.so.1"), bytes(160_000, 3));
