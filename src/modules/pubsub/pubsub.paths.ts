/** Every address the pub/sub module serves; links are built here, never by hand. */
export const pubsubPaths = {
  topics: '/admin/lgsp/topics',
  newTopic: '/admin/lgsp/topics/new',
  topic: (name: string) => `/admin/lgsp/topics/${encodeURIComponent(name)}`,
  topicRoute: '/admin/lgsp/topics/:name',
  subscriptions: '/admin/lgsp/subscriptions',
  newSubscription: '/admin/lgsp/subscriptions/new',
  newSubscriptionFor: (topic: string) => `/admin/lgsp/subscriptions/new?topic=${encodeURIComponent(topic)}`,
  subscription: (id: string) => `/admin/lgsp/subscriptions/${id}`,
  redrive: (id: string) => `/admin/lgsp/subscriptions/${id}/redrive`,
  seek: (id: string) => `/admin/lgsp/subscriptions/${id}/seek`,
  disable: (id: string) => `/admin/lgsp/subscriptions/${id}/disable`,
  enable: (id: string) => `/admin/lgsp/subscriptions/${id}/enable`,
  hosts: '/admin/lgsp/webhook-hosts',
  removeHost: (host: string) => `/admin/lgsp/webhook-hosts/${encodeURIComponent(host)}/remove`,
  removeHostRoute: '/admin/lgsp/webhook-hosts/:host/remove',
  /** The JSON API (under /api/v1). */
  api: {
    topics: '/pubsub/topics',
    topic: '/pubsub/topics/:topic',
    publish: '/pubsub/topics/:topic/events',
    subscriptions: '/pubsub/subscriptions',
    subscription: '/pubsub/subscriptions/:id',
    pull: '/pubsub/subscriptions/:id/events',
    ack: '/pubsub/subscriptions/:id/ack',
    seek: '/pubsub/subscriptions/:id/seek',
    redrive: '/pubsub/subscriptions/:id/redrive',
    disable: '/pubsub/subscriptions/:id/disable',
    enable: '/pubsub/subscriptions/:id/enable',
    hosts: '/pubsub/webhook-hosts',
    host: '/pubsub/webhook-hosts/:host',
  },
}

/** Requests under this prefix may carry a system's SSO access token instead of a personal token. */
export const SYSTEM_API_PREFIX = '/api/v1/pubsub/'
