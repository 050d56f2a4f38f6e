/** The receipt page's island: the form with the in-browser checks. */
import { hydrate } from 'preact';
import { ReceiptApp, type ReceiptPageState } from '../components/receipt-app.js';
import { checkReceipt, parseReceiptLink } from '../client/receipt-check.js';
import { initialState, islandRoot } from '../client/boot.js';

const state = initialState<ReceiptPageState>();
hydrate(<ReceiptApp {...state} checker={{ parse: parseReceiptLink, check: checkReceipt }} />, islandRoot());
