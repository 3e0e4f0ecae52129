// The name a protected file is bound to. Gramine binds the host path of the file as its mount
// gives it: the mount's `uri` (without "file:") joined with the path inside the mount, then
// normalized (libos/src/fs/chroot/fs.c: chroot_dentry_uri; libos_fs_encrypted.c:
// encrypted_file_internal_open, with get_norm_path from common/src/path_utils.c). Its pf-crypt
// tool binds the output path given to `encrypt` normalized the same way. So a file encrypted
// offline to "enc/a.txt" opens in a mount `{ type = "encrypted", path = "/x", uri = "file:enc" }`
// as /x/a.txt, and nowhere else.

/**
 * A path normalized as Gramine's get_norm_path does: "." and empty components dropped, ".."
 * taking off the component before it (kept at the start of a relative path, dropped at the root
 * of an absolute one), no trailing "/". The result of "" or "." is "".
 */
export function normalizeBoundName(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (!absolute) parts.push('..');
  }
  return (absolute ? '/' : '') + parts.join('/');
}
