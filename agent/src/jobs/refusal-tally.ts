// Counts the server's refusals of the cartridge in a standalone drive while a backup waits for its
// next tape. The drive's news may not have reached the catalog when the server is first asked (the
// agent reports a drive change within one poll), so a cartridge counts as refused only after it was
// refused `limit` times in a row; another cartridge starts the count again.
export class RefusalTally {
  private barcode = '';
  private times = 0;

  constructor(private readonly limit = 3) {}

  /** Records one refusal of `barcode`; true when it is the limit-th in a row (the count restarts). */
  refuse(barcode: string): boolean {
    this.times = barcode === this.barcode ? this.times + 1 : 1;
    this.barcode = barcode;
    if (this.times < this.limit) return false;
    this.barcode = '';
    this.times = 0;
    return true;
  }
}
