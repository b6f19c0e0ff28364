// Warnings and infos a query collects while it runs, reported beside its
// result as Prometheus's annotations are: each text once, in the order found.

export class Annotations {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];
  private readonly seen = new Set<string>();

  warn(text: string): void {
    if (this.seen.has(`w${text}`)) return;
    this.seen.add(`w${text}`);
    this.warnings.push(text);
  }

  info(text: string): void {
    if (this.seen.has(`i${text}`)) return;
    this.seen.add(`i${text}`);
    this.infos.push(text);
  }
}
