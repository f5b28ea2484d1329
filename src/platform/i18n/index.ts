export const LANGS = ['vi', 'en'] as const
export type Lang = (typeof LANGS)[number]
export const LANG_COOKIE = 'cb_lang'

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value)
}

/** A module's messages: Vietnamese is the source; English must have every key. */
export type Messages<K extends string> = { vi: Record<K, string>; en: Record<K, string> }

export type Translate<K extends string> = (key: K, params?: Record<string, string | number>) => string

export function translator<K extends string>(messages: Messages<K>, lang: Lang): Translate<K> {
  const dict = messages[lang]
  return (key, params) => {
    const text = dict[key] ?? messages.vi[key] ?? key
    return params
      ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`))
      : text
  }
}

export function defineMessages<const V extends Record<string, string>>(
  vi: V,
  en: Record<keyof V & string, string>,
): Messages<keyof V & string> {
  return { vi, en }
}
