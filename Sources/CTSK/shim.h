// The C API of The Sleuth Kit (libtsk-dev): disk images (raw, split raw, E01 through
// libewf), volume systems and file systems. Its C++ headers are left out.
#include <tsk/base/tsk_base.h>
#include <tsk/img/tsk_img.h>
#include <tsk/vs/tsk_vs.h>
#include <tsk/fs/tsk_fs.h>
