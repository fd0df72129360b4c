import type { Locale } from '../locales.ts'
import { ar } from './ar.ts'
import { de } from './de.ts'
import { type Catalogue, en } from './en.ts'
import { es } from './es.ts'
import { fr } from './fr.ts'
import { ja } from './ja.ts'

export type { Catalogue, MessageId } from './en.ts'

export const CATALOGUES: Record<Locale, Catalogue> = { en, fr, es, de, ja, ar }
