// libarchive (libarchive-dev): zip, tar (gzip, bzip2, xz, zstd), 7z, rar, … read from memory.
#include <archive.h>
#include <archive_entry.h>
