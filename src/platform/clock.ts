/** The current instant; passed in so deadline and expiry tests are exact. */
export type Clock = () => Date
export const systemClock: Clock = () => new Date()
