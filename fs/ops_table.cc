#include "fs/ops.h"

namespace scopefs::fs {

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops{};
  // One aligned table, as libfuse's examples write it.
  // clang-format off
  ops.init         = OpInit;
  ops.lookup       = OpLookup;
  ops.forget       = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr      = OpGetattr;
  ops.setattr      = OpSetattr;
  ops.opendir      = OpOpendir;
  ops.readdir      = OpReaddir;
  ops.readdirplus  = OpReaddirplus;
  ops.releasedir   = OpReleasedir;
  ops.mkdir        = OpMkdir;
  ops.rmdir        = OpRmdir;
  ops.open         = OpOpen;
  ops.create       = OpCreate;
  ops.flush        = OpFlush;
  ops.release      = OpRelease;
  ops.fsync        = OpFsync;
  ops.read         = OpRead;
  ops.write        = OpWrite;
  ops.fallocate    = OpFallocate;
  ops.unlink       = OpUnlink;
  ops.rename       = OpRename;
  ops.link         = OpLink;
  ops.symlink      = OpSymlink;
  ops.mknod        = OpMknod;
  ops.statfs       = OpStatfs;
  ops.getxattr     = OpGetxattr;
  ops.listxattr    = OpListxattr;
  ops.setxattr     = OpSetxattr;
  ops.removexattr  = OpRemovexattr;
  // clang-format on
  return ops;
}

}  // namespace scopefs::fs
