// TEMPORARY: the five card-chrome messages of chat-errors.md 8.1, verbatim, for as long as the
// WASM core does not export its catalogue (requested: `message({ key, locale, ...params })`).
// core.mjs imports this file only when `core.message` is missing; delete it once the core has it.
const GAP = {
  en: {
    errorGenerating: 'Something went wrong',
    errorDetailsSummary: 'Technical details',
    retryGeneration: 'Try again',
    errorTriedModels: 'Tried {count} models before giving up.',
    openProviderSettings: 'Open provider settings',
  },
  de: {
    errorGenerating: 'Etwas ist schiefgelaufen',
    errorDetailsSummary: 'Technische Details',
    retryGeneration: 'Erneut versuchen',
    errorTriedModels: '{count} Modelle wurden vor dem Abbruch versucht.',
    openProviderSettings: 'Anbietereinstellungen öffnen',
  },
  fr: {
    errorGenerating: 'Une erreur s\'est produite',
    errorDetailsSummary: 'Détails techniques',
    retryGeneration: 'Réessayer',
    errorTriedModels: '{count} modèles ont été essayés avant d\'abandonner.',
    openProviderSettings: 'Ouvrir les paramètres du fournisseur',
  },
};

export function gapMessage({ key, locale, count }) {
  const text = (GAP[locale] ?? GAP.en)[key];
  if (text === undefined) return null;
  return count === undefined ? text : text.replace('{count}', String(count));
}
