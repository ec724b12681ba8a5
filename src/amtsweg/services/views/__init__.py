"""Staff pages of the services app: the designer (Verfahrensdesigner:in) and adoption
(Nachnutzung, by the Kommunal-Admin)."""
