// A bug inside a worker thread (the batch analysis's, the JSON writer's), carried to the CLI's
// internal-error path: the user sees the message, FINSCOPE_DEBUG=1 also the worker's stack.

export class WorkerFailure extends Error {
  constructor(message: string, readonly workerStack: string) {
    super(message);
    this.name = 'WorkerFailure';
  }
}
