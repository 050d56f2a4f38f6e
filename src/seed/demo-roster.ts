/**
 * Demo delegations for the Progressive Alliance conference (Kuala Lumpur,
 * 30-31 August 2019), used by the seed script and the demo.
 *
 * The parties are real participants of the Progressive Alliance; every person
 * is invented. Allocations are small and uneven on purpose, so weighted and
 * per-delegation tallies differ visibly from a head count. Alternates sit
 * with weight 0: they vote only when they take over a seat.
 *
 * `votes` is written out rather than computed so that the unit test catches a
 * roster edited by hand into an inconsistent state.
 */

export interface DemoDelegate {
  name: string;
  role: 'head' | 'delegate' | 'alternate';
  weight: number;
  externalId: string;
}

export interface DemoDelegation {
  party: string;
  country: string;
  name: string;
  votes: number;
  delegates: DemoDelegate[];
}

export const demoDelegations: DemoDelegation[] = [
  {
    party: 'Social Democratic Party of Germany (SPD)',
    country: 'Germany',
    name: 'SPD',
    votes: 7,
    delegates: [
      { name: 'Katrin Albrecht', role: 'head', weight: 3, externalId: 'PA-SPD-01' },
      { name: 'Jonas Weidemann', role: 'delegate', weight: 2, externalId: 'PA-SPD-02' },
      { name: 'Miriam Okonkwo-Berg', role: 'delegate', weight: 2, externalId: 'PA-SPD-03' },
      { name: 'Tobias Reinhardt', role: 'alternate', weight: 0, externalId: 'PA-SPD-04' },
    ],
  },
  {
    party: 'Labour Party',
    country: 'United Kingdom',
    name: 'Labour',
    votes: 6,
    delegates: [
      { name: 'Helen Marchbank', role: 'head', weight: 3, externalId: 'PA-LAB-01' },
      { name: 'Daniel Osei-Fletcher', role: 'delegate', weight: 2, externalId: 'PA-LAB-02' },
      { name: 'Rhiannon Pryce', role: 'delegate', weight: 1, externalId: 'PA-LAB-03' },
      { name: 'Callum Ferrie', role: 'alternate', weight: 0, externalId: 'PA-LAB-04' },
    ],
  },
  {
    party: 'Parti socialiste (PS)',
    country: 'France',
    name: 'PS France',
    votes: 5,
    delegates: [
      { name: 'Claire Vautrin', role: 'head', weight: 2, externalId: 'PA-PSF-01' },
      { name: 'Mehdi Lacombe', role: 'delegate', weight: 2, externalId: 'PA-PSF-02' },
      { name: 'Élodie Rambert', role: 'delegate', weight: 1, externalId: 'PA-PSF-03' },
    ],
  },
  {
    party: 'Partito Democratico (PD)',
    country: 'Italy',
    name: 'PD',
    votes: 5,
    delegates: [
      { name: 'Giulia Ferrandi', role: 'head', weight: 2, externalId: 'PA-PD-01' },
      { name: 'Marco Bellavista', role: 'delegate', weight: 2, externalId: 'PA-PD-02' },
      { name: 'Chiara Scarsella', role: 'delegate', weight: 1, externalId: 'PA-PD-03' },
      { name: 'Lorenzo Pagliai', role: 'alternate', weight: 0, externalId: 'PA-PD-04' },
    ],
  },
  {
    party: 'Swedish Social Democratic Party (Socialdemokraterna)',
    country: 'Sweden',
    name: 'SAP',
    votes: 5,
    delegates: [
      { name: 'Annika Holmqvist', role: 'head', weight: 2, externalId: 'PA-SAP-01' },
      { name: 'Erik Sandelin', role: 'delegate', weight: 2, externalId: 'PA-SAP-02' },
      { name: 'Sara Lindgård-Nilsson', role: 'delegate', weight: 1, externalId: 'PA-SAP-03' },
    ],
  },
  {
    party: 'Norwegian Labour Party (Arbeiderpartiet)',
    country: 'Norway',
    name: 'Arbeiderpartiet',
    votes: 4,
    delegates: [
      { name: 'Ingrid Solbakken', role: 'head', weight: 2, externalId: 'PA-AP-01' },
      { name: 'Håkon Myrvold', role: 'delegate', weight: 1, externalId: 'PA-AP-02' },
      { name: 'Siri Fjeldstad', role: 'delegate', weight: 1, externalId: 'PA-AP-03' },
    ],
  },
  {
    party: 'Labour Party (Partij van de Arbeid, PvdA)',
    country: 'Netherlands',
    name: 'PvdA',
    votes: 4,
    delegates: [
      { name: 'Femke van Dijkhuizen', role: 'head', weight: 2, externalId: 'PA-PVDA-01' },
      { name: 'Ruben Achterberg', role: 'delegate', weight: 1, externalId: 'PA-PVDA-02' },
      { name: 'Naima Bouzerrad', role: 'delegate', weight: 1, externalId: 'PA-PVDA-03' },
      { name: 'Joost Heeringa', role: 'alternate', weight: 0, externalId: 'PA-PVDA-04' },
    ],
  },
  {
    party: 'Social Democratic Party of Austria (SPÖ)',
    country: 'Austria',
    name: 'SPÖ',
    votes: 5,
    delegates: [
      { name: 'Elisabeth Prandtner', role: 'head', weight: 2, externalId: 'PA-SPOE-01' },
      { name: 'Stefan Grubmüller', role: 'delegate', weight: 2, externalId: 'PA-SPOE-02' },
      { name: 'Verena Kogler', role: 'delegate', weight: 1, externalId: 'PA-SPOE-03' },
    ],
  },
  {
    // The host country's member party, hence the largest delegation in the hall.
    party: 'Democratic Action Party (DAP)',
    country: 'Malaysia',
    name: 'DAP',
    votes: 8,
    delegates: [
      { name: 'Tan Mei Ling', role: 'head', weight: 3, externalId: 'PA-DAP-01' },
      { name: 'Arjun Selvaraj', role: 'delegate', weight: 2, externalId: 'PA-DAP-02' },
      { name: 'Nurul Aina Rosli', role: 'delegate', weight: 2, externalId: 'PA-DAP-03' },
      { name: 'Wong Kah Seng', role: 'delegate', weight: 1, externalId: 'PA-DAP-04' },
      { name: 'Lim Jia Hui', role: 'alternate', weight: 0, externalId: 'PA-DAP-05' },
    ],
  },
  {
    party: "Akbayan Citizens' Action Party",
    country: 'Philippines',
    name: 'Akbayan',
    votes: 4,
    delegates: [
      { name: 'Maricel Dimaculangan', role: 'head', weight: 2, externalId: 'PA-AKB-01' },
      { name: 'Paolo Villarama', role: 'delegate', weight: 1, externalId: 'PA-AKB-02' },
      { name: 'Jocelyn Tabora', role: 'delegate', weight: 1, externalId: 'PA-AKB-03' },
    ],
  },
  {
    party: 'Australian Labor Party (ALP)',
    country: 'Australia',
    name: 'ALP',
    votes: 5,
    delegates: [
      { name: 'Megan Cartwright', role: 'head', weight: 2, externalId: 'PA-ALP-01' },
      { name: 'Liam Donnelly-Hart', role: 'delegate', weight: 2, externalId: 'PA-ALP-02' },
      { name: 'Priya Ramasamy', role: 'delegate', weight: 1, externalId: 'PA-ALP-03' },
      { name: 'Jack Thornbury', role: 'alternate', weight: 0, externalId: 'PA-ALP-04' },
    ],
  },
  {
    party: 'Partido Socialista (PS)',
    country: 'Argentina',
    name: 'PS Argentina',
    votes: 4,
    delegates: [
      { name: 'Lucía Bianchetti', role: 'head', weight: 2, externalId: 'PA-PSA-01' },
      { name: 'Martín Echeverría', role: 'delegate', weight: 1, externalId: 'PA-PSA-02' },
      { name: 'Florencia Aguirre Paz', role: 'delegate', weight: 1, externalId: 'PA-PSA-03' },
    ],
  },
];
