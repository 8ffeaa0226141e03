/**
 * Edge detection for alerts: fires on the false → true transition of a condition only, so a condition that holds
 * for a week raises one alert. Starts armed, as if the condition had been false before the first record.
 */
export class EdgeTrigger {
  private active = false

  /** Records the condition's current value; true when it just became true. */
  update(condition: boolean): boolean {
    const fired = condition && !this.active
    this.active = condition
    return fired
  }
}
