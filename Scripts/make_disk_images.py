#!/usr/bin/env python3
"""Writes small disk images with known contents, for the tests of disk-image evidence:
real file systems made by their own tools, no mounting (no root) needed.

Usage:
    python3 Scripts/make_disk_images.py OUTDIR

Needs Python 3 (standard library only) and the Debian packages dosfstools and mtools
(FAT), e2fsprogs (ext4), ntfs-3g (NTFS), xorriso (ISO 9660), ewf-tools (E01). The pictures are the repository's own benign
test fixtures (Tests/Fixtures); the manifest names each one's source.

Writes into OUTDIR:
  fat.dd          a 4 MiB FAT file system, no partition table: pictures in folders, a
                  text file, two pictures deleted after they were written (FAT keeps
                  their first cluster and size: recoverable), and six more pictures
                  written straight into free clusters, with no directory entry (carving).
  fat32.dd        a 40 MiB FAT32 file system (sparse), no partition table, one of its
                  three pictures deleted.
  fat.001 …       the same image split into 1 MiB segments (split raw).
  fat.E01         the same image as an EnCase 6 file (ewfacquire; it stores the MD5).
  tampered.E01    an uncompressed E01 of it with one byte changed afterwards: its stored
                  MD5 no longer verifies.
  mbr.dd          a DOS/MBR partition table with two partitions: FAT (4 MiB, at 1 MiB;
                  The Sleuth Kit's volume 2) and ext4 (4 MiB; volume 3) holding other
                  pictures, one of them deleted with debugfs (which leaves the inode's
                  extents: recoverable); two pictures in the space before the first
                  partition (carving).
  gpt.dd          a GPT partition table (written here, CRCs and backup included) with one
                  NTFS partition (mkntfs, files copied in with ntfscp), one of them with a
                  picture in an alternate data stream (notes.txt:hidden.jpg), and a
                  zip holding a picture and a tar.gz that holds another (photos.zip).
  hfs.dd          an HFS+ volume (2 MiB) written by this script, no partition table: a
                  picture, a folder holding another, and a third picture in that one's
                  resource fork (b.png:RSRC).
  iso.iso         an ISO 9660 image with Rock Ridge and Joliet names (xorriso).
  blob.dd         2 MiB with no file system, the same six pictures at 512-byte boundaries.
  manifest.json   what each image holds: for each file, its path in its file system, its
                  volume as `mmls` numbers it (null without a partition table),
                  "allocated" or "deleted", its size and SHA-256; and for gpt.dd's zip,
                  its members, named down through the tar.gz inside it.
"""
import hashlib
import io
import json
import pathlib
import struct
import zlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

MiB = 1 << 20
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures"


def picture(relative):
    """A fixture's bytes (relative to Tests/Fixtures)."""
    return (FIXTURES / relative).read_bytes()


def run(*args, **kwargs):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def fat_image(path, size, files, deleted, label, bits=None):
    """A FAT file system of `size` bytes at `path` holding `files` ({fs path: bytes}); the
    `deleted` ones are written, then deleted with mdel. `bits`: 12, 16 or 32 (mkfs.vfat
    picks by size when None)."""
    with open(path, "wb") as f:
        f.truncate(size)
    run("mkfs.vfat", "-i", "5e1e5e1e", "-n", label, *(["-F", str(bits)] if bits else []), str(path))
    folders = set()
    for p in files:
        parts = p.strip("/").split("/")[:-1]
        folders.update("/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1))
    folders = sorted(folders, key=lambda f: (f.count("/"), f))
    for folder in folders:
        run("mmd", "-i", str(path), "::" + folder)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (fs_path, data) in enumerate(files.items()):
            source = pathlib.Path(tmp) / f"f{i}"
            source.write_bytes(data)
            run("mcopy", "-i", str(path), str(source), "::" + fs_path)
    for fs_path in deleted:
        run("mdel", "-i", str(path), "::" + fs_path)


def write_tree(root, files):
    """Writes `files` ({path: bytes}) under the folder `root`; returns `root`."""
    for fs_path, data in files.items():
        target = root / fs_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def ext4_image(path, size, files, deleted):
    """An ext4 file system (1 KiB blocks) populated from `files` with mkfs.ext4 -d; the
    `deleted` ones then removed with debugfs."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(pathlib.Path(tmp) / "root", files)
        with open(path, "wb") as f:
            f.truncate(size)
        run("mkfs.ext4", "-q", "-F", "-b", "1024", "-U", "5e1e5e1e-0000-4000-8000-000000000001",
            "-E", "root_owner=0:0", "-d", str(root), str(path))
    for fs_path in deleted:
        run("debugfs", "-w", "-R", f"rm {fs_path}", str(path))


def mbr(partitions, total_sectors):
    """A DOS partition table: (type, first sector, sectors) for each partition."""
    sector = bytearray(512)
    for i, (kind, first, count) in enumerate(partitions):
        entry = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", kind, b"\xfe\xff\xff", first, count)
        sector[446 + 16 * i:446 + 16 * (i + 1)] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def guid(text):
    """A GUID's 16 bytes as GPT stores them (the first three fields little-endian)."""
    h = text.replace("-", "")
    raw = bytes.fromhex(h)
    return raw[3::-1] + raw[5:3:-1] + raw[7:5:-1] + raw[8:]


def gpt(partitions, total_sectors):
    """A protective MBR and primary GPT (sectors 0-33), and the backup GPT (the last 33
    sectors), for partitions given as (type GUID, first sector, sectors, name)."""
    entries = bytearray(128 * 128)
    for i, (kind, first, count, name) in enumerate(partitions):
        unique = guid(f"5e1e5e1e-0000-4000-8000-{i + 1:012x}")
        entries[128 * i:128 * (i + 1)] = (guid(kind) + unique + struct.pack("<QQQ", first, first + count - 1, 0)
                                          + name.encode("utf-16-le").ljust(72, b"\0"))
    entries_crc = zlib.crc32(entries)

    def header(current, backup, entries_at):
        fields = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0, current, backup, 34,
                             total_sectors - 34, guid("5e1e5e1e-0000-4000-8000-00000000d15c"), entries_at, 128, 128,
                             entries_crc)
        fields = fields[:16] + struct.pack("<I", zlib.crc32(fields)) + fields[20:]
        return fields.ljust(512, b"\0")

    protective = bytearray(512)
    protective[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                                      min(total_sectors - 1, 0xFFFFFFFF))
    protective[510:512] = b"\x55\xaa"
    primary = bytes(protective) + header(1, total_sectors - 1, 2) + bytes(entries)
    backup = bytes(entries) + header(total_sectors - 1, 1, total_sectors - 33)
    return primary, backup


# The pictures planted in free space for carving: one of each format carved.
CARVED = [
    "vectors/pdq/images/bridge-mods/square-256x256.jpg",
    "decoding/graya16.png",
    "formats/interlaced.gif",
    "formats/topdown.bmp",
    "formats/lossless.webp",
    "vectors/pdq/images/reg-test-input/labelme-subset/q2821.jpg",
]


def fat_free_clusters_end(path):
    """The byte offset of a cluster 1 MiB before the end of a FAT file system (whose files
    all lie near its start), aligned to its clusters."""
    boot = pathlib.Path(path).read_bytes()[:512]
    sector, per_cluster = struct.unpack("<HB", boot[11:14])
    reserved, fats, root_entries, total16 = struct.unpack("<HBHH", boot[14:21])
    per_fat = struct.unpack("<H", boot[22:24])[0]
    total = total16 or struct.unpack("<I", boot[32:36])[0]
    data = (reserved + fats * per_fat) * sector + root_entries * 32
    cluster = sector * per_cluster
    start = total * sector - MiB
    return data + (start - data) // cluster * cluster


def plant(path, offset, pictures, align=4096):
    """Writes `pictures` one after the other from `offset`, each at a multiple of `align`;
    returns what a carver should find: offset, size, SHA-256."""
    found = []
    with open(path, "r+b") as f:
        for relative in pictures:
            data = picture(relative)
            f.seek(offset)
            f.write(data)
            found.append({"offset": offset, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "source": relative})
            offset += (len(data) + align - 1) // align * align
    return found


# HFS+ (no tool writes it without mounting: Debian has no mkfs.hfsplus): a volume written
# here by the specification (Apple TN1150), as small as it can be: the volume header and
# its copy, the allocation bitmap, an empty extents-overflow B-tree and a catalog B-tree of
# one leaf node.
HFS_BLOCK = 4096
HFS_NODE = 4096
HFS_EPOCH = 2082844800  # seconds from 1904 to 1970


def hfs_u16(v): return struct.pack(">H", v)
def hfs_u32(v): return struct.pack(">I", v)


def hfs_fork(size, start, count):
    ext = struct.pack(">II", start, count) + bytes(8 * 7)
    return struct.pack(">QII", size, 0, count) + ext


def hfs_uni(name):
    data = name.encode("utf-16-be")
    return hfs_u16(len(name)) + data


def hfs_key(parent, name):
    body = hfs_u32(parent) + hfs_uni(name)
    return hfs_u16(len(body)) + body


def hfs_bsd(mode):
    return struct.pack(">IIBBHI", 0, 0, 0, 0, mode, 0)


def hfs_dates(t):
    return hfs_u32(t) * 5


def hfs_folder_record(cnid, valence, t):
    r = struct.pack(">hHII", 1, 0, valence, cnid) + hfs_dates(t) + hfs_bsd(0o040755) + bytes(16) + bytes(16) + hfs_u32(0) + hfs_u32(0)
    assert len(r) == 88
    return r


def hfs_file_record(cnid, t, data_fork, rsrc_fork):
    # Flags: kHFSThreadExistsMask (this script writes every file's thread record).
    r = struct.pack(">hHII", 2, 0x0002, 0, cnid) + hfs_dates(t) + hfs_bsd(0o100644) + bytes(16) + bytes(16) + hfs_u32(0) + hfs_u32(0)
    r += data_fork + rsrc_fork
    assert len(r) == 248
    return r


def hfs_thread_record(kind, parent, name):
    return struct.pack(">hhI", kind, 0, parent) + hfs_uni(name)


def hfs_node(kind, height, records, flink=0):
    out = struct.pack(">IIbBHH", flink, 0, kind, height, len(records), 0)
    offsets = []
    for r in records:
        offsets.append(len(out))
        out += r
        if len(out) % 2:
            out += b"\0"
    offsets.append(len(out))
    assert len(out) + 2 * len(offsets) <= HFS_NODE
    out += bytes(HFS_NODE - len(out) - 2 * len(offsets))
    for o in reversed(offsets):
        out += hfs_u16(o)
    return out


def hfs_header_node(depth, root, leaf_records, first_leaf, last_leaf, max_key, total_nodes, compare, attributes, used):
    header = struct.pack(">HIIIIHHIIHIBBI", depth, root, leaf_records, first_leaf, last_leaf, HFS_NODE, max_key, total_nodes,
                         total_nodes - used, 0, HFS_NODE, 0, compare, attributes) + bytes(64)
    assert len(header) == 106
    user = bytes(128)
    map_len = HFS_NODE - 14 - 106 - 128 - 8
    bitmap = bytearray(map_len)
    for i in range(used):
        bitmap[i // 8] |= 0x80 >> (i % 8)
    return hfs_node(1, 0, [header, user, bytes(bitmap)])


def hfsplus_image(path, volume_name, entries, t=1_600_000_000):
    """entries: list of (path, data bytes or None for a folder, resource fork bytes or None)."""
    t += HFS_EPOCH
    total_blocks = 512
    # Layout: 0 header, 1 bitmap, 2 extents tree, 3-4 catalog, then data.
    next_block = 5
    cnid = 16
    folders = {"": 2}
    children = {2: []}
    data_blocks = []
    records = []  # (parent, name, record)
    for entry_path, data, rsrc in entries:
        parent_path, _, name = entry_path.strip("/").rpartition("/")
        parent = folders[parent_path]
        if data is None:
            folders[entry_path.strip("/")] = cnid
            children[cnid] = []
            children[parent].append(cnid)
            records.append((parent, name, ("folder", cnid)))
            records.append((cnid, "", ("thread", 3, parent, name)))
        else:
            forks = []
            for content in (data, rsrc or b""):
                count = (len(content) + HFS_BLOCK - 1) // HFS_BLOCK
                forks.append(hfs_fork(len(content), next_block if count else 0, count))
                if count:
                    data_blocks.append((next_block, content))
                    next_block += count
            children[parent].append(cnid)
            records.append((parent, name, ("file", cnid, forks)))
            records.append((cnid, "", ("thread", 4, parent, name)))
        cnid += 1
    records.append((1, volume_name, ("folder", 2)))
    records.append((2, "", ("thread", 3, 1, volume_name)))
    # Catalog keys in HFS+ order: parent id, then the name case-folded (lower case, TN1150).
    records.sort(key=lambda r: (r[0], r[1].lower()))
    leaf = []
    for parent, name, what in records:
        if what[0] == "folder":
            body = hfs_folder_record(what[1], len(children[what[1]]), t)
        elif what[0] == "file":
            body = hfs_file_record(what[1], t, what[2][0], what[2][1])
        else:
            body = hfs_thread_record(what[1], what[2], what[3])
        leaf.append(hfs_key(parent, name) + body)
    catalog = hfs_header_node(1, 1, len(leaf), 1, 1, 516, 2, 0xCF, 6, 2) + hfs_node(-1, 1, leaf)
    extents = hfs_header_node(0, 0, 0, 0, 0, 10, 1, 0, 2, 1)
    used = next_block
    bitmap = bytearray(HFS_BLOCK)
    for b in list(range(used)) + [total_blocks - 1]:
        bitmap[b // 8] |= 0x80 >> (b % 8)
    files = sum(1 for r in records if r[2][0] == "file")
    dirs = sum(1 for r in records if r[2][0] == "folder") - 1
    vh = struct.pack(">HHIIIIIIIIIIIIIIIIIQ", 0x482B, 4, 1 << 8, 0x31302E30, 0, t, t, 0, t, files, dirs, HFS_BLOCK, total_blocks,
                     total_blocks - used - 1, used, HFS_BLOCK, HFS_BLOCK, cnid, 1, 1)
    vh += bytes(32)
    vh += hfs_fork(HFS_BLOCK, 1, 1) + hfs_fork(HFS_BLOCK, 2, 1) + hfs_fork(2 * HFS_NODE, 3, 2) + hfs_fork(0, 0, 0) + hfs_fork(0, 0, 0)
    assert len(vh) == 512, len(vh)
    image = bytearray(total_blocks * HFS_BLOCK)
    image[1024:1536] = vh
    image[total_blocks * HFS_BLOCK - 1024:total_blocks * HFS_BLOCK - 512] = vh
    image[HFS_BLOCK:2 * HFS_BLOCK] = bitmap
    image[2 * HFS_BLOCK:3 * HFS_BLOCK] = extents
    image[3 * HFS_BLOCK:5 * HFS_BLOCK] = catalog
    for block, content in data_blocks:
        image[block * HFS_BLOCK:block * HFS_BLOCK + len(content)] = content
    open(path, "wb").write(image)


SLACK = "decoding/gray2.png"


def ext4_last_block(image, fs_path):
    """The last data block of a file of an ext4 image, as debugfs lists its blocks."""
    listed = subprocess.run(["debugfs", "-R", f"blocks {fs_path}", str(image)], check=True, capture_output=True, text=True)
    return int(listed.stdout.split()[-1])


def plant_in_slack(path, fs_offset, files, last_blocks, relative, block_size=1024, gap=3):
    """Writes the picture `relative` into the slack of the first of `files` whose last
    block has room for it, `gap` bytes after the file's end; returns what a carver should
    find, with the file whose slack holds it."""
    data = picture(relative)
    for fs_path, last in sorted(last_blocks.items()):
        used = len(files[fs_path]) % block_size
        if used and block_size - used >= gap + len(data):
            offset = fs_offset + last * block_size + used + gap
            with open(path, "r+b") as f:
                f.seek(offset)
                f.write(data)
            return {"offset": offset, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "source": relative,
                    "slack_of": fs_path}
    raise SystemExit("no file with room in its slack")


def entry(path, partition, allocation, data):
    return {"path": path, "partition": partition, "allocation": allocation, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    manifest = {}

    # fat.dd: no partition table.
    fat_files = {
        "/DCIM/100/a.jpg": picture("vectors/pdq/images/bridge-mods/square-128x128.jpg"),
        "/DCIM/100/b.png": picture("decoding/graya16.png"),
        "/pics/c.gif": picture("formats/interlaced.gif"),
        "/pics/d.bmp": picture("formats/pal8.bmp"),
        "/e.webp": picture("formats/lossy.webp"),
        "/notes.txt": b"not a picture\n" * 10,
        "/DCIM/100/gone.jpg": picture("vectors/pdq/images/misc-images/wee.jpg"),
        "/gone.png": picture("decoding/gray16.png"),
    }
    fat_deleted = ["/DCIM/100/gone.jpg", "/gone.png"]
    fat_image(out / "fat.dd", 4 * MiB, fat_files, fat_deleted, "SIEVEFAT")
    manifest["fat.dd"] = [
        entry(p, None, "deleted" if p in fat_deleted else "allocated", d) for p, d in fat_files.items()]
    # Pictures written straight into free clusters near the end of the file system, with
    # no directory entry: found only by carving.
    manifest["fat.dd.carved"] = plant(out / "fat.dd", fat_free_clusters_end(out / "fat.dd"), CARVED)

    # fat32.dd: FAT32 (40 MiB, sparse), no partition table, one file deleted.
    fat32_files = {
        "/Pictures/2020/m.jpg": picture("vectors/pdq/images/reg-test-input/labelme-subset/q2821.jpg"),
        "/Pictures/n.png": picture("decoding/rgb8.png"),
        "/o.gif": picture("formats/static.gif"),
    }
    fat32_deleted = ["/Pictures/n.png"]
    fat_image(out / "fat32.dd", 40 * MiB, fat32_files, fat32_deleted, "SIEVEF32", bits=32)
    manifest["fat32.dd"] = [
        entry(p, None, "deleted" if p in fat32_deleted else "allocated", d) for p, d in fat32_files.items()]

    # Split raw and E01 copies of it.
    data = (out / "fat.dd").read_bytes()
    for old in out.glob("fat.0*"):
        old.unlink()
    for i in range(0, len(data), MiB):
        (out / f"fat.{i // MiB + 1:03d}").write_bytes(data[i:i + MiB])
    manifest["fat.001"] = manifest["fat.dd"]
    for old in out.glob("fat.E0*"):
        old.unlink()
    run("ewfacquire", "-u", "-t", str(out / "fat"), "-f", "encase6", "-c", "deflate:fast", "-S", "1.4GiB",
        "-C", "sieve-test", "-D", "FAT test image", "-e", "tester", "-E", "1", "-N", "synthetic", str(out / "fat.dd"))
    manifest["fat.E01"] = manifest["fat.dd"]
    manifest["fat.E01.md5"] = hashlib.md5(data).hexdigest()
    # tampered.E01: an uncompressed E01 of the same image with one byte of its media changed
    # after acquisition (libewf then reads that chunk as zeros): its stored MD5 no longer
    # verifies.
    for old in out.glob("tampered.E0*"):
        old.unlink()
    run("ewfacquire", "-u", "-t", str(out / "tampered"), "-f", "encase6", "-c", "none", "-S", "1.4GiB", str(out / "fat.dd"))
    tampered = bytearray((out / "tampered.E01").read_bytes())
    label = tampered.index(b"SIEVEFAT")
    tampered[label] ^= 0x20
    (out / "tampered.E01").write_bytes(bytes(tampered))

    # mbr.dd: p1 FAT, p2 ext4.
    p1_files = {"/photos/f.jpg": picture("vectors/pdq/images/bridge-mods/shrink-a-lot.jpg"), "/photos/g.png": picture("decoding/graya8.png")}
    p2_files = {
        "/home/user/h.jpg": picture("vectors/pdq/images/bridge-mods/square-256x256.jpg"),
        "/home/user/i.webp": picture("formats/lossless.webp"),
        "/home/user/erased.png": picture("decoding/gray8.png"),
    }
    p2_deleted = ["/home/user/erased.png"]
    with tempfile.TemporaryDirectory() as tmp:
        p1, p2 = pathlib.Path(tmp) / "p1", pathlib.Path(tmp) / "p2"
        fat_image(p1, 4 * MiB, p1_files, [], "SIEVEP1")
        ext4_image(p2, 4 * MiB, p2_files, p2_deleted)
        first1, first2, count = 2048, 2048 + 8192, 8192
        last_blocks = {p: ext4_last_block(p2, p) for p in p2_files if p not in p2_deleted}
        with open(out / "mbr.dd", "wb") as f:
            f.write(mbr([(0x06, first1, count), (0x83, first2, count)], first2 + count))
            f.truncate(first1 * 512)
            f.seek(first1 * 512)
            f.write(p1.read_bytes())
            f.seek(first2 * 512)
            f.write(p2.read_bytes())
            f.truncate((first2 + count) * 512)
    # Two pictures in the space before the first partition, which no partition holds.
    manifest["mbr.dd.carved"] = plant(out / "mbr.dd", 64 * 1024, CARVED[:2])
    # A small picture in the slack of a live ext4 file (the rest of its last 1 KiB block),
    # 3 bytes after its end: found only by carving slack.
    manifest["mbr.dd.carved"].append(plant_in_slack(out / "mbr.dd", first2 * 512, p2_files, last_blocks, SLACK))
    # mmls numbers the table itself 0, the space before p1 1, then the partitions 2 and 3.
    manifest["mbr.dd"] = [entry(p, 2, "allocated", d) for p, d in p1_files.items()] + [
        entry(p, 3, "deleted" if p in p2_deleted else "allocated", d) for p, d in p2_files.items()]

    # blob.dd: 2 MiB of no file system (a repeating non-picture pattern) with the same
    # pictures planted at 512-byte boundaries: carved from the whole image.
    with open(out / "blob.dd", "wb") as f:
        f.write(bytes((i * 7 + 3) % 251 for i in range(2 * MiB)))
    manifest["blob.dd.carved"] = plant(out / "blob.dd", 3 * 512, CARVED, align=512)

    # gpt.dd: a GPT with one NTFS partition (ntfscp copies files in without mounting; at
    # the root only) at 1 MiB.
    ntfs_files = {
        "/j.jpg": picture("vectors/pdq/images/reg-test-input/labelme-subset/q0122.jpg"),
        "/k.gif": picture("formats/static.gif"),
        "/notes.txt": b"nothing to see here\n",
    }
    # An archive in the file system: a zip holding a picture and a tar.gz that holds
    # another (their members are found by opening the archive, named photos.zip!/…).
    archive_members = {
        "DCIM/in-zip.jpg": picture("vectors/pdq/images/reg-test-input/labelme-subset/q1050.jpg"),
        "inner.tar.gz!/deep/in-tar.png": picture("decoding/graya8.png"),
    }
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as t:
        data = archive_members["inner.tar.gz!/deep/in-tar.png"]
        info = tarfile.TarInfo("deep/in-tar.png")
        info.size, info.mtime = len(data), 1_600_000_000
        t.addfile(info, io.BytesIO(data))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr(zipfile.ZipInfo("DCIM/in-zip.jpg", (2020, 1, 2, 3, 4, 6)), archive_members["DCIM/in-zip.jpg"])
        z.writestr(zipfile.ZipInfo("inner.tar.gz", (2020, 1, 2, 3, 4, 6)), inner.getvalue())
    ntfs_files["/photos.zip"] = zipped.getvalue()
    # An alternate data stream of notes.txt holding a picture (ntfscp -N).
    ntfs_stream = ("/notes.txt", "hidden.jpg", picture("vectors/pdq/images/bridge-mods/shrink-a-lot.jpg"))
    with tempfile.TemporaryDirectory() as tmp:
        volume = pathlib.Path(tmp) / "ntfs"
        with open(volume, "wb") as f:
            f.truncate(4 * MiB)
        run("mkntfs", "-q", "-F", "-Q", "-s", "512", "-c", "4096", "-L", "SIEVENTFS", str(volume))
        for i, (fs_path, data) in enumerate(ntfs_files.items()):
            source = pathlib.Path(tmp) / f"f{i}"
            source.write_bytes(data)
            run("ntfscp", "-f", str(volume), str(source), fs_path.lstrip("/"))
        source = pathlib.Path(tmp) / "stream"
        source.write_bytes(ntfs_stream[2])
        run("ntfscp", "-f", "-N", ntfs_stream[1], str(volume), str(source), ntfs_stream[0].lstrip("/"))
        first, count = 2048, 8192
        total = first + count + 2048
        primary, backup = gpt([("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", first, count, "sieve ntfs")], total)
        with open(out / "gpt.dd", "wb") as f:
            f.write(primary)
            f.seek(first * 512)
            f.write(volume.read_bytes())
            f.seek((total - 33) * 512)
            f.write(backup)
    # mmls numbers the protective MBR 0, the GPT header 1, the table 2, the space before
    # the partition 3, then the partition 4.
    manifest["gpt.dd"] = [entry(p, 4, "allocated", d) for p, d in ntfs_files.items()] + [
        entry(ntfs_stream[0] + ":" + ntfs_stream[1], 4, "allocated", ntfs_stream[2])]
    manifest["gpt.dd.archive"] = {"path": "/photos.zip", "members": [entry(p, 4, "allocated", d) for p, d in archive_members.items()]}

    # hfs.dd: HFS+, no partition table; a picture in a file's resource fork.
    hfs_files = {"/a.jpg": picture("vectors/pdq/images/reg-test-input/labelme-subset/q0122.jpg"),
                 "/pics/b.png": picture("decoding/rgb8.png")}
    hfs_rsrc = ("/pics/b.png", picture("vectors/pdq/images/bridge-mods/square-128x128.jpg"))
    hfsplus_image(out / "hfs.dd", "SIEVEHFS", [("/a.jpg", hfs_files["/a.jpg"], None), ("/pics", None, None),
                                               ("/pics/b.png", hfs_files["/pics/b.png"], hfs_rsrc[1])])
    manifest["hfs.dd"] = [entry(p, None, "allocated", d) for p, d in hfs_files.items()] + [
        entry(hfs_rsrc[0] + ":RSRC", None, "allocated", hfs_rsrc[1])]

    # iso.iso: ISO 9660 with Rock Ridge and Joliet names (xorriso), no partition table.
    iso_files = {
        "/album/one.jpg": picture("vectors/pdq/images/reg-test-input/labelme-subset/q1050.jpg"),
        "/two.png": picture("decoding/graya16.png"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(pathlib.Path(tmp) / "root", iso_files)
        run("xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "SIEVEISO", "-o", str(out / "iso.iso"), str(root))
    manifest["iso.iso"] = [entry(p, None, "allocated", d) for p, d in iso_files.items()]

    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    for name in sorted(p.name for p in out.iterdir()):
        print(f"{name:16} {(out / name).stat().st_size:>10,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
