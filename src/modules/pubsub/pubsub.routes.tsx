import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { translator, type Translate } from '../../platform/i18n/index.js'
import {
  CheckboxField,
  CsrfField,
  ErrorSummary,
  PostButton,
  SelectField,
  TextField,
} from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { messages } from './pubsub.locales.js'
import { pubsubPaths as paths } from './pubsub.paths.js'
import type { DeliveryCounts, TopicRow } from './pubsub.repository.js'
import { requirePubsubAdmin, type PubsubService } from './pubsub.service.js'

type Form = Record<string, string | undefined>
type Key = keyof typeof messages.vi

function TextArea(props: {
  name: string
  label: string
  hint?: string
  value?: string
  error?: string
  rows?: number
}) {
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={props.name} safe>
        {props.label}
      </label>
      {props.hint ? (
        <p class="hint" id={`${props.name}-hint`} safe>
          {props.hint}
        </p>
      ) : (
        ''
      )}
      {props.error ? (
        <p class="error-message" id={`${props.name}-error`} lang="vi" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
      <textarea id={props.name} name={props.name} rows={String(props.rows ?? 4)} safe>
        {props.value ?? ''}
      </textarea>
    </div>
  )
}

/** The sub-navigation of the integration platform's publish/subscribe pages. */
function Nav({ t }: { t: Translate<Key> }) {
  return (
    <p class="subnav">
      <a href={paths.topics} safe>
        {t('topicsTitle')}
      </a>
      {' · '}
      <a href={paths.subscriptions} safe>
        {t('subscriptionsTitle')}
      </a>
      {' · '}
      <a href={paths.hosts} safe>
        {t('hostsTitle')}
      </a>
      {' · '}
      <a href="/admin/lgsp/national-sync" safe>
        {t('nationalSync')}
      </a>
    </p>
  )
}

function Counts({ counts, t }: { counts: DeliveryCounts | null; t: Translate<Key> }) {
  if (!counts) return ''
  return (
    <span class="counts">
      {(['queued', 'waiting', 'delivered', 'dead'] as const).map((state) => (
        <span data-state={state} safe>{`${t(state)}: ${counts[state]}; `}</span>
      ))}
    </span>
  )
}

/** Administration pages: event types, subscriptions with their dead letters, webhook hosts. */
export function pubsubRoutes(pubsub: PubsubService) {
  return async function routes(app: FastifyInstance) {
    const page = (request: FastifyRequest, reply: FastifyReply) => {
      requirePubsubAdmin(request.actor)
      const ctx = app.pageContext(request, reply)
      return { ctx, t: translator(messages, ctx.lang) }
    }

    // Event types.

    app.get(paths.topics, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const [topics, subscriptions] = await Promise.all([pubsub.listTopics(), pubsub.listSubscriptions()])
      const perTopic = (name: string) => subscriptions.filter((s) => s.topic === name).length
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('topicsTitle')} wide>
          <h1 safe>{t('topicsTitle')}</h1>
          <Nav t={t} />
          <p safe>{t('topicsIntro')}</p>
          <p>
            <a href={paths.newTopic} class="button" safe>
              {t('newTopic')}
            </a>
          </p>
          <table id="topics">
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('name')}
                </th>
                <th scope="col" safe>
                  {t('description')}
                </th>
                <th scope="col" safe>
                  {t('kind')}
                </th>
                <th scope="col" safe>
                  {t('publishers')}
                </th>
                <th scope="col" safe>
                  {t('head')}
                </th>
                <th scope="col" safe>
                  {t('subscriptionCount')}
                </th>
              </tr>
            </thead>
            <tbody>
              {topics.map((topic) => (
                <tr data-topic={topic.name}>
                  <td>
                    <a href={paths.topic(topic.name)} safe>
                      {topic.name}
                    </a>
                  </td>
                  <td safe>{topic.description}</td>
                  <td safe>{topic.platform ? t('kindPlatform') : t('kindSystem')}</td>
                  <td safe>{topic.publishers.join(', ')}</td>
                  <td safe>{String(topic.last_position)}</td>
                  <td safe>{String(perTopic(topic.name))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Layout>,
      )
    })

    const topicForm = (
      ctx: PageContext,
      t: Translate<Key>,
      values: Form,
      existing: TopicRow | undefined,
      errors?: FieldErrors,
    ) => (
      <form method="post" action={existing ? paths.topic(existing.name) : paths.newTopic} novalidate>
        <CsrfField token={ctx.csrf} />
        {existing ? (
          ''
        ) : (
          <TextField
            name="name"
            label={t('name')}
            hint={t('nameHint')}
            value={values.name}
            error={errors?.name}
            required
          />
        )}
        <TextField
          name="description"
          label={t('description')}
          value={values.description}
          error={errors?.description}
        />
        <TextArea
          name="payloadSchema"
          label={t('payloadSchema')}
          hint={t('payloadSchemaHint')}
          value={values.payloadSchema}
          error={errors?.payloadSchema}
          rows={8}
        />
        {existing?.platform ? (
          ''
        ) : (
          <TextArea
            name="publishers"
            label={t('publishers')}
            hint={t('publishersHint')}
            value={values.publishers}
            error={errors?.publishers}
          />
        )}
        {existing?.platform && existing.subscribers !== null ? (
          <p id="subscribers" safe>{`${t('subscribers')}: ${existing.subscribers.join(', ')}`}</p>
        ) : (
          <TextArea
            name="subscribers"
            label={t('subscribers')}
            hint={t('subscribersHint')}
            value={values.subscribers}
            error={errors?.subscribers}
          />
        )}
        {existing ? (
          ''
        ) : (
          <>
            {errors?.platform ? (
              <p class="error-message" id="platform-error" safe>
                {errors.platform}
              </p>
            ) : (
              ''
            )}
            <CheckboxField name="platform" label={t('platform')} checked={values.platform === 'on'} />
          </>
        )}
        <button type="submit" safe>
          {existing ? t('save') : t('create')}
        </button>
      </form>
    )

    const newTopicPage = (ctx: PageContext, t: Translate<Key>, values: Form, errors?: FieldErrors) => (
      <Layout ctx={ctx} title={t('newTopic')}>
        <h1 safe>{t('newTopic')}</h1>
        <ErrorSummary errors={errors} title={t('errorsTitle')} />
        {topicForm(ctx, t, values, undefined, errors)}
      </Layout>
    )

    app.get(paths.newTopic, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      return sendPage(reply, newTopicPage(ctx, t, {}))
    })

    app.post(paths.newTopic, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const form = (request.body ?? {}) as Form
      try {
        const row = await pubsub.createTopic(request.actor, auditContext(request), form)
        return redirectWithFlash(reply, paths.topic(row.name), t('created'))
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        return sendPage(reply, newTopicPage(ctx, t, form, error.fields), 422)
      }
    })

    const topicPage = async (
      ctx: PageContext,
      t: Translate<Key>,
      topic: TopicRow,
      values: Form,
      errors?: FieldErrors,
    ) => {
      const subscriptions = await pubsub.listSubscriptions({ topic: topic.name })
      return (
        <Layout ctx={ctx} title={topic.name} wide>
          <h1 safe>{topic.name}</h1>
          <Nav t={t} />
          <p>
            <span safe>{`${t('kind')}: ${topic.platform ? t('kindPlatform') : t('kindSystem')}. `}</span>
            <span safe>{`${t('head')}: ${topic.last_position}.`}</span>
          </p>
          <ErrorSummary errors={errors} title={t('errorsTitle')} />
          {topicForm(ctx, t, values, topic, errors)}
          <h2 safe>{t('subscriptionsTitle')}</h2>
          <p>
            <a href={paths.newSubscriptionFor(topic.name)} class="button" safe>
              {t('newSubscription')}
            </a>
          </p>
          <SubscriptionTable rows={subscriptions} t={t} ctx={ctx} />
        </Layout>
      )
    }

    const topicValues = (topic: TopicRow): Form => ({
      description: topic.description,
      payloadSchema: topic.payload_schema ? JSON.stringify(topic.payload_schema, null, 2) : '',
      publishers: topic.publishers.join('\n'),
      subscribers: (topic.subscribers ?? []).join('\n'),
    })

    app.get(paths.topicRoute, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const topic = await pubsub.getTopic((request.params as { name: string }).name)
      return sendPage(reply, await topicPage(ctx, t, topic, topicValues(topic)))
    })

    app.post(paths.topicRoute, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const topic = await pubsub.getTopic((request.params as { name: string }).name)
      const form = (request.body ?? {}) as Form
      try {
        await pubsub.updateTopic(request.actor, auditContext(request), topic.name, form)
        return redirectWithFlash(reply, paths.topic(topic.name), t('saved'))
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        return sendPage(reply, await topicPage(ctx, t, topic, form, error.fields), 422)
      }
    })

    // Subscriptions.

    function SubscriptionTable({
      rows,
      t,
      ctx,
    }: {
      rows: Awaited<ReturnType<PubsubService['listSubscriptions']>>
      t: Translate<Key>
      ctx: PageContext
    }) {
      if (rows.length === 0) return <p safe>{t('none')}</p>
      return (
        <table id="subscriptions">
          <thead>
            <tr>
              <th scope="col" safe>
                {t('topic')}
              </th>
              <th scope="col" safe>
                {t('client')}
              </th>
              <th scope="col" safe>
                {t('mode')}
              </th>
              <th scope="col" safe>
                {t('status')}
              </th>
              <th scope="col" safe>
                {t('createdAt')}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr data-subscription={row.id}>
                <td>
                  <a href={paths.subscription(row.id)} safe>
                    {row.topic}
                  </a>
                </td>
                <td>
                  <code safe>{row.client_id}</code>
                  {row.endpoint ? (
                    <>
                      <br />
                      <small safe>{row.endpoint}</small>
                    </>
                  ) : (
                    ''
                  )}
                </td>
                <td safe>{t(`mode_${row.mode}`)}</td>
                <td>
                  <span safe>{row.disabled_at ? t('disabled') : t('active')}</span>
                  <br />
                  <Counts counts={row.counts} t={t} />
                  {row.backlog !== null ? <span safe>{`${t('backlog')}: ${row.backlog}`}</span> : ''}
                </td>
                <td safe>{formatDateTime(row.created_at, ctx.lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )
    }

    app.get(paths.subscriptions, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const rows = await pubsub.listSubscriptions()
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('subscriptionsTitle')} wide>
          <h1 safe>{t('subscriptionsTitle')}</h1>
          <Nav t={t} />
          <p>
            <a href={paths.newSubscription} class="button" safe>
              {t('newSubscription')}
            </a>
          </p>
          <SubscriptionTable rows={rows} t={t} ctx={ctx} />
        </Layout>,
      )
    })

    const newSubscriptionPage = async (
      ctx: PageContext,
      t: Translate<Key>,
      values: Form,
      errors?: FieldErrors,
    ) => {
      const topics = await pubsub.listTopics()
      return (
        <Layout ctx={ctx} title={t('newSubscription')}>
          <h1 safe>{t('newSubscription')}</h1>
          <ErrorSummary errors={errors} title={t('errorsTitle')} />
          <form method="post" action={paths.newSubscription} novalidate>
            <CsrfField token={ctx.csrf} />
            <SelectField
              name="topic"
              label={t('topic')}
              value={values.topic}
              error={errors?.topic}
              emptyLabel=""
              options={topics.map((topic) => ({ value: topic.name, label: topic.name }))}
            />
            <TextField
              name="clientId"
              label={t('client')}
              hint={t('clientHint')}
              value={values.clientId}
              error={errors?.clientId}
            />
            <SelectField
              name="mode"
              label={t('mode')}
              value={values.mode ?? 'push'}
              error={errors?.mode}
              options={[
                { value: 'push', label: t('mode_push') },
                { value: 'pull', label: t('mode_pull') },
              ]}
            />
            <TextField
              name="endpoint"
              label={t('endpoint')}
              hint={t('endpointHint')}
              value={values.endpoint}
              error={errors?.endpoint}
            />
            <TextField
              name="maxAttempts"
              label={t('maxAttempts')}
              value={values.maxAttempts}
              error={errors?.maxAttempts}
              inputmode="numeric"
            />
            <button type="submit" safe>
              {t('create')}
            </button>
          </form>
        </Layout>
      )
    }

    app.get(paths.newSubscription, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const { topic } = request.query as { topic?: string }
      return sendPage(reply, await newSubscriptionPage(ctx, t, { topic }))
    })

    app.post(paths.newSubscription, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const form = (request.body ?? {}) as Form
      try {
        const { subscription, secret } = await pubsub.createSubscription(
          request.actor,
          auditContext(request),
          form,
        )
        if (!secret) return redirectWithFlash(reply, paths.subscription(subscription.id), t('created'))
        return sendPage(
          reply,
          <Layout ctx={ctx} title={t('secretTitle')}>
            <h1 safe>{t('secretTitle')}</h1>
            <p safe>{t('secretIntro')}</p>
            <dl>
              <dt>id</dt>
              <dd id="subscription-id" safe>
                {subscription.id}
              </dd>
              <dt>secret</dt>
              <dd class="secret" id="webhook-secret" safe>
                {secret}
              </dd>
            </dl>
            <p>
              <a href={paths.subscription(subscription.id)} safe>
                {t('backToSubscription')}
              </a>
            </p>
          </Layout>,
          201,
        )
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        return sendPage(reply, await newSubscriptionPage(ctx, t, form, error.fields), 422)
      }
    })

    app.get(paths.subscription(':id'), async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const detail = await pubsub.subscriptionDetail((request.params as { id: string }).id)
      const sub = detail.subscription
      const deliveries = (rows: typeof detail.dead, dead: boolean) =>
        rows.length === 0 ? (
          <p safe>{t('none')}</p>
        ) : (
          <table id={dead ? 'dead-letters' : 'open-deliveries'}>
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('position')}
                </th>
                <th scope="col" safe>
                  {t('key')}
                </th>
                <th scope="col" safe>
                  {t('attempts')}
                </th>
                <th scope="col" safe>
                  {t('httpStatus')}
                </th>
                <th scope="col" safe>
                  {t('lastError')}
                </th>
                <th scope="col" safe>
                  {t('lastAttempt')}
                </th>
                {dead ? <th scope="col"></th> : ''}
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr data-delivery={String(d.id)} data-state={d.state}>
                  <td safe>{String(d.position)}</td>
                  <td safe>{d.key ?? ''}</td>
                  <td safe>{String(d.attempts)}</td>
                  <td safe>{d.last_status === null ? '' : String(d.last_status)}</td>
                  <td safe>{d.last_error ?? ''}</td>
                  <td safe>{formatDateTime(d.last_attempt_at, ctx.lang)}</td>
                  {dead ? (
                    <td>
                      <form method="post" action={paths.redrive(sub.id)} class="inline-form">
                        <CsrfField token={ctx.csrf} />
                        <input type="hidden" name="deliveryId" value={String(d.id)} />
                        <button type="submit" safe>
                          {t('redrive')}
                        </button>
                      </form>
                    </td>
                  ) : (
                    ''
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${sub.topic} → ${sub.client_id}`} wide>
          <h1 safe>{`${sub.topic} → ${sub.client_id}`}</h1>
          <Nav t={t} />
          <dl id="subscription">
            <dt safe>{t('mode')}</dt>
            <dd safe>{t(`mode_${sub.mode}`)}</dd>
            {sub.endpoint ? (
              <>
                <dt safe>{t('endpoint')}</dt>
                <dd safe>{sub.endpoint}</dd>
              </>
            ) : (
              ''
            )}
            <dt safe>{t('status')}</dt>
            <dd>
              <span safe>{sub.disabled_at ? t('disabled') : t('active')}</span>{' '}
              <Counts counts={sub.counts} t={t} />
              {sub.backlog !== null ? <span safe>{`${t('backlog')}: ${sub.backlog}`}</span> : ''}
            </dd>
            <dt safe>{t('maxAttempts')}</dt>
            <dd safe>{String(sub.max_attempts)}</dd>
            {detail.lastFailure ? (
              <>
                <dt safe>{t('lastError')}</dt>
                <dd id="last-error" safe>
                  {`${detail.lastFailure.last_error ?? ''} (${formatDateTime(detail.lastFailure.last_attempt_at, ctx.lang)})`}
                </dd>
              </>
            ) : (
              ''
            )}
          </dl>
          {sub.mode === 'internal' ? (
            ''
          ) : (
            <p>
              <PostButton
                action={sub.disabled_at ? paths.enable(sub.id) : paths.disable(sub.id)}
                csrf={ctx.csrf}
                label={sub.disabled_at ? t('enable') : t('disable')}
              />
            </p>
          )}
          {sub.mode === 'pull' ? (
            ''
          ) : (
            <>
              <h2 safe>{t('deadLetters')}</h2>
              {detail.dead.length > 0 ? (
                <p>
                  <PostButton action={paths.redrive(sub.id)} csrf={ctx.csrf} label={t('redriveAll')} />
                </p>
              ) : (
                ''
              )}
              {deliveries(detail.dead, true)}
              <h2 safe>{t('openDeliveries')}</h2>
              {deliveries(detail.open, false)}
            </>
          )}
          <h2 safe>{t('seekTitle')}</h2>
          <form method="post" action={paths.seek(sub.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField name="position" label={t('position')} hint={t('seekHint')} inputmode="numeric" />
            <button type="submit" safe>
              {t('seek')}
            </button>
          </form>
        </Layout>,
      )
    })

    app.post(paths.redrive(':id'), async (request, reply) => {
      const { t } = page(request, reply)
      const { id } = request.params as { id: string }
      const { deliveryId } = (request.body ?? {}) as Form
      const ids = deliveryId && /^\d+$/.test(deliveryId) ? [Number(deliveryId)] : undefined
      const count = await pubsub.redrive(request.actor, auditContext(request), id, ids)
      return redirectWithFlash(reply, paths.subscription(id), t('redriven', { count }))
    })

    app.post(paths.seek(':id'), async (request, reply) => {
      const { t } = page(request, reply)
      const { id } = request.params as { id: string }
      const { position } = (request.body ?? {}) as Form
      const result = await pubsub.seekAsAdmin(request.actor, auditContext(request), id, position ?? '')
      return redirectWithFlash(reply, paths.subscription(id), t('seeked', { position: result.position }))
    })

    for (const [path, disabled] of [
      [paths.disable(':id'), true],
      [paths.enable(':id'), false],
    ] as const) {
      app.post(path, async (request, reply) => {
        const { t } = page(request, reply)
        const { id } = request.params as { id: string }
        await pubsub.setDisabled(request.actor, auditContext(request), id, disabled)
        return redirectWithFlash(reply, paths.subscription(id), t(disabled ? 'disabledDone' : 'enabledDone'))
      })
    }

    // Allowed webhook hosts.

    const hostsPage = async (ctx: PageContext, t: Translate<Key>, values: Form, errors?: FieldErrors) => {
      const hosts = await pubsub.listAllowedHosts()
      return (
        <Layout ctx={ctx} title={t('hostsTitle')}>
          <h1 safe>{t('hostsTitle')}</h1>
          <Nav t={t} />
          <p safe>{t('hostsIntro')}</p>
          <ErrorSummary errors={errors} title={t('errorsTitle')} />
          {hosts.length === 0 ? (
            <p safe>{t('none')}</p>
          ) : (
            <table id="hosts">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('host')}
                  </th>
                  <th scope="col" safe>
                    {t('note')}
                  </th>
                  <th scope="col"></th>
                </tr>
              </thead>
              <tbody>
                {hosts.map((h) => (
                  <tr data-host={h.host}>
                    <td>
                      <code safe>{h.host}</code>
                    </td>
                    <td safe>{h.note}</td>
                    <td>
                      <PostButton
                        action={paths.removeHost(h.host)}
                        csrf={ctx.csrf}
                        label={t('remove')}
                        variant="link"
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form method="post" action={paths.hosts} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="host"
              label={t('host')}
              hint={t('hostHint')}
              value={values.host}
              error={errors?.host}
            />
            <TextField name="note" label={t('note')} value={values.note} />
            <button type="submit" safe>
              {t('addHost')}
            </button>
          </form>
        </Layout>
      )
    }

    app.get(paths.hosts, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      return sendPage(reply, await hostsPage(ctx, t, {}))
    })

    app.post(paths.hosts, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const form = (request.body ?? {}) as Form
      try {
        const host = await pubsub.addAllowedHost(request.actor, auditContext(request), form)
        return redirectWithFlash(reply, paths.hosts, t('hostAdded', { host }))
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        return sendPage(reply, await hostsPage(ctx, t, form, error.fields), 422)
      }
    })

    app.post(paths.removeHostRoute, async (request, reply) => {
      const { t } = page(request, reply)
      const { host } = request.params as { host: string }
      await pubsub.removeAllowedHost(request.actor, auditContext(request), host)
      return redirectWithFlash(reply, paths.hosts, t('hostRemoved', { host }))
    })
  }
}
