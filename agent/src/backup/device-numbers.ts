// A device's numbers from st_rdev. Pure: unit-tested.

/** Linux's dev_t: the major number in bits 8-19 and 32-63, the minor in bits 0-7 and 20-31 (glibc's gnu_dev_major/minor). */
export function splitRdev(rdev: bigint): { rdevMajor: number; rdevMinor: number } {
  return {
    rdevMajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    rdevMinor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}
