/** A downsampling task as the influxdb add-on's management API lists it (`GET /api/tasks`) and the panel shows it. */
export interface TaskView {
  id: string;
  name: string;
  every: string | undefined;
  status: string;
  lastRunStatus: string | null;
  lastRunAt: string | null;
  lastRunError: string | null;
}
