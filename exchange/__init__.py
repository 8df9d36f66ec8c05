"""The exchange files of shared/spec/exchange.md: `import_dataset` and the admin's import and
export of each file.

`exchange.service.dataset_import` is the service the `import_dataset` command calls;
`exchange.service.check_file` checks one file for the admin's import-export resources with
the same rules; `exchange.specs.FILE_SPECS` describes every file.
"""
