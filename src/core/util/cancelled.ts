/** Thrown when a long operation (register, package build, hashing) sees its AbortSignal fire. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}
