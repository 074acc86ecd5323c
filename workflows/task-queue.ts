/** The workflow's default task queue; the control worker also runs the light activities there. */
export const CONTROL_TASK_QUEUE = 'amto';
