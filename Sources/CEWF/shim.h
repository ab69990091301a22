// libewf (libewf-dev): the EnCase image format. The Sleuth Kit reads E01 media through it;
// Sieve asks it only for the digests stored at acquisition.
#include <libewf.h>
