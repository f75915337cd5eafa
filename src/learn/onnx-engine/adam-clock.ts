/**
 * The step count of an Adam optimizer and its bias corrections, computed in float32 exactly as
 * tfjs-core's AdamOptimizer does. accBeta starts at beta and is multiplied by beta after every
 * update, and the correction of an update is 1 - accBeta.
 */
export class AdamClock {
  private accBeta1: number;
  private accBeta2: number;
  private count = 0;

  constructor(
    readonly beta1: number,
    readonly beta2: number,
  ) {
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  /** Updates applied so far (tf.Optimizer.iterations). */
  get iterations(): number {
    return this.count;
  }

  /** Returns the corrections 1 - beta1^t and 1 - beta2^t of the next update, as float32 values. */
  corrections(): [number, number] {
    return [Math.fround(1 - this.accBeta1), Math.fround(1 - this.accBeta2)];
  }

  /** Returns the corrections of the next `count` updates without recording them. */
  upcoming(count: number): Array<[number, number]> {
    const copy = new AdamClock(this.beta1, this.beta2);
    copy.accBeta1 = this.accBeta1;
    copy.accBeta2 = this.accBeta2;
    return Array.from({ length: count }, () => {
      const corrections = copy.corrections();
      copy.tick();
      return corrections;
    });
  }

  /** Records one update. */
  tick(): void {
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
    this.count += 1;
  }

  /** Sets the count to `iterations`, replaying the products so the corrections stay exact. */
  reset(iterations: number): void {
    this.accBeta1 = Math.fround(this.beta1);
    this.accBeta2 = Math.fround(this.beta2);
    this.count = 0;
    for (let i = 0; i < iterations; i++) this.tick();
  }
}
