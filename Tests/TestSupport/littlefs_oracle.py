#!/usr/bin/env python3
"""The reference littlefs (C, through littlefs-python) as an oracle for the LittleFS tests.

  littlefs_oracle.py check            exit 0 when littlefs-python is importable
  littlefs_oracle.py dump IMAGE GEOM  mount IMAGE, print JSON {"dirs": [...], "files": {path: hex},
                                      "probe": "...", "appended": bool}; the probe then writes new
                                      files on a copy (as the firmware would after boot), checks
                                      nothing written before changed, and says whether the first
                                      write appended to a metadata block in place
  littlefs_oracle.py make IMAGE GEOM SPEC
                                      format + write SPEC {"dirs": [...], "files": {path: hex},
                                      "remove": [...]} in order, save the region to IMAGE

GEOM is JSON: block_size, block_count, read_size, prog_size, cache_size, lookahead_size, name_max,
file_max, attr_max, block_cycles, disk_version (the driver then mounts and writes as that
version, e.g. 0x20000 behaves as a littlefs older than 2.6: it refuses a 2.1 superblock).
"""
import json
import sys


def open_fs(geom, image=None):
    from littlefs import LittleFS
    fs = LittleFS(block_size=geom["block_size"], block_count=geom["block_count"],
                  read_size=geom["read_size"], prog_size=geom["prog_size"],
                  cache_size=geom["cache_size"], lookahead_size=geom["lookahead_size"],
                  name_max=geom["name_max"], file_max=geom["file_max"], attr_max=geom["attr_max"],
                  block_cycles=geom["block_cycles"], disk_version=geom.get("disk_version", 0),
                  mount=False)
    if image is not None:
        fs.context.buffer = bytearray(image)
        fs.mount()
    else:
        fs.format()
        fs.mount()
    return fs


def walk(fs):
    dirs, files = [], {}
    for root, dnames, fnames in fs.walk("/"):
        base = root.rstrip("/")
        for d in dnames:
            dirs.append(base + "/" + d)
        for f in fnames:
            with fs.open(base + "/" + f, "rb") as fh:
                files[base + "/" + f] = fh.read().hex()
    return sorted(dirs), files


def appended_in_place(old, new, block_size):
    """Whether the change from old to new only programmed erased bytes of one block: the driver
    appended a commit instead of erasing and compacting (it trusted the image's forward CRC)."""
    changed = [b for b in range(len(old) // block_size)
               if old[b * block_size:(b + 1) * block_size] != new[b * block_size:(b + 1) * block_size]]
    if len(changed) != 1:
        return False
    lo, hi = changed[0] * block_size, (changed[0] + 1) * block_size
    return all(o == 0xFF or o == n for o, n in zip(old[lo:hi], new[lo:hi]))


def probe(geom, image, before):
    """Writes a small file (its commit appended to a metadata block), then a multi-block one (its
    blocks taken from the allocator, which must know every block the image uses)."""
    fs = open_fs(geom, image)
    written = {"/zz-probe-small": b"probe"}
    with fs.open("/zz-probe-small", "wb") as fh:
        fh.write(written["/zz-probe-small"])
    fs.unmount()
    appended = appended_in_place(image, bytes(fs.context.buffer), geom["block_size"])
    fs = open_fs(geom, bytes(fs.context.buffer))
    free = geom["block_count"] - fs.used_block_count
    if free > 4:
        size = min(min(3, free - 4) * geom["block_size"] - 100, geom["file_max"])
        written["/zz-probe-big"] = bytes((i * 7 + 3) % 251 for i in range(size))
        with fs.open("/zz-probe-big", "wb") as fh:
            fh.write(written["/zz-probe-big"])
    fs.unmount()
    fs = open_fs(geom, bytes(fs.context.buffer))
    _, after = walk(fs)
    for path, data in before.items():
        if after.get(path) != data:
            return "changed after writing new files: " + path, appended
    for path, data in written.items():
        if after.get(path) != data.hex():
            return "probe file not read back: " + path, appended
    return "ok", appended


def main(argv):
    if argv[1] == "check":
        import littlefs  # noqa: F401
        return 0
    with open(argv[3]) as fh:
        geom = json.load(fh)
    if argv[1] == "dump":
        with open(argv[2], "rb") as fh:
            image = fh.read()
        fs = open_fs(geom, image)
        dirs, files = walk(fs)
        result, appended = probe(geom, image, files)
        print(json.dumps({"dirs": dirs, "files": files, "probe": result, "appended": appended}))
        return 0
    if argv[1] == "make":
        with open(argv[4]) as fh:
            spec = json.load(fh)
        fs = open_fs(geom)
        for d in spec.get("dirs", []):
            fs.makedirs(d, exist_ok=True)
        for path, data in spec.get("files", {}).items():
            with fs.open(path, "wb") as fh:
                fh.write(bytes.fromhex(data))
        for path in spec.get("remove", []):
            fs.remove(path)
        fs.unmount()
        with open(argv[2], "wb") as fh:
            fh.write(bytes(fs.context.buffer))
        return 0
    print("unknown command " + argv[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
