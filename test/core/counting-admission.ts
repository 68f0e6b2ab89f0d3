import { HashAdmission } from '../../src/core/hash-admission.js'

/** Counts what goes through the gate, so a test can see how much hashing work a call really did. */
export class CountingAdmission extends HashAdmission {
  tasks = 0
  override run<T>(task: () => Promise<T>): Promise<T> {
    this.tasks += 1
    return super.run(task)
  }
}
