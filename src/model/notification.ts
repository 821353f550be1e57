// The Notification model, generated from proto/kubeherald/v1 (see
// `npm run generate`). Everything else imports it from here.

export {
  type Actor,
  ActorSchema,
  type CrashReport,
  CrashReportSchema,
  type Notification,
  NotificationSchema,
  type ObjectRef,
  ObjectRefSchema,
  Severity,
  State,
} from '../gen/kubeherald/v1/notification_pb.js';
