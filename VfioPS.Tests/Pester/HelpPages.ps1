# Reads the PlatyPS pages of docs/ for Help.Tests.ps1, with the Markdig parser pwsh ships (ConvertFrom-Markdown):
# section texts are raw source lines, as PlatyPS 1.x reads them. Dot-sourced from BeforeDiscovery and BeforeAll.

$VfioDocsRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'docs'))

# The marks an example's prose carries when it cannot run against the mock in the bare engine (VfioPS.Docs uses the same words).
$VfioPwshMark = 'needs pwsh'
$VfioRealDeviceMark = 'needs a host with devices bound to vfio-pci'
# A real-device example that also needs the lane's reference mdev parent, which run-lane.sh loads on 6.1 only.
$VfioSeedMdevMark = "the lane's seed_mdev parent"

function Get-VfioHelpPage {
    # One object per cmdlet page of docs/ (document type: cmdlet), with what the help tests compare.
    [CmdletBinding()]
    param()
    foreach ($file in Get-ChildItem -LiteralPath $VfioDocsRoot -Filter '*.md' | Sort-Object -Property Name) {
        $fileText = [System.IO.File]::ReadAllText($file.FullName)
        $lines = $fileText.Replace("`r", '').Split("`n")
        if ($lines -notcontains 'document type: cmdlet') { continue }
        $blocks = @((ConvertFrom-Markdown -LiteralPath $file.FullName).Tokens)
        $headings = @(for ($i = 0; $i -lt $blocks.Count; $i++) {
            if ($blocks[$i] -is [Markdig.Syntax.HeadingBlock] -and $blocks[$i].Level -ge 2) {
                [pscustomobject]@{ Index = $i; Level = $blocks[$i].Level; Text = $lines[$blocks[$i].Line].TrimStart('#').Trim() }
            }
        })
        $sectionOf = {
            param([string] $Name)
            $start = @($headings | Where-Object { $_.Level -eq 2 -and $_.Text -eq $Name })[0]
            $next = @($headings | Where-Object { $_.Level -eq 2 -and $_.Index -gt $start.Index })[0]
            $end = if ($next) { $next.Index } else { $blocks.Count }
            [pscustomobject]@{ Start = $start.Index; End = $end }
        }
        $rawText = {
            param([int] $FirstBlock, [int] $EndBlock)
            if ($EndBlock -le $FirstBlock) { return '' }
            $endLine = if ($EndBlock -lt $blocks.Count) { $blocks[$EndBlock].Line - 1 } else { $lines.Count }
            (($lines[$blocks[$FirstBlock].Line..($endLine - 1)] | ForEach-Object { $_.TrimEnd() }) -join "`n").Trim()
        }

        $synopsis = & $sectionOf 'SYNOPSIS'
        $syntax = & $sectionOf 'SYNTAX'
        $examples = & $sectionOf 'EXAMPLES'
        $parameters = & $sectionOf 'PARAMETERS'

        $parameterList = foreach ($h in $headings | Where-Object { $_.Level -eq 3 -and $_.Index -gt $parameters.Start -and $_.Index -lt $parameters.End }) {
            if ($h.Text -eq 'CommonParameters') { continue }
            $yaml = @($blocks[($h.Index + 1)..($parameters.End - 1)] | Where-Object { $_ -is [Markdig.Syntax.FencedCodeBlock] -and $_.Info -eq 'yaml' })[0]
            $yamlText = $yaml.Lines.ToString()
            [pscustomobject]@{
                Name     = $h.Text.TrimStart('-')
                Type     = [regex]::Match($yamlText, '(?m)^Type: (.+)$').Groups[1].Value.Trim()
                DontShow = $yamlText -match '(?m)^DontShow: true$'
            }
        }

        $exampleList = [System.Collections.Generic.List[object]]::new()
        $exampleHeadings = @($headings | Where-Object { $_.Level -eq 3 -and $_.Index -gt $examples.Start -and $_.Index -lt $examples.End })
        for ($e = 0; $e -lt $exampleHeadings.Count; $e++) {
            $from = $exampleHeadings[$e].Index + 1
            $to = if ($e + 1 -lt $exampleHeadings.Count) { $exampleHeadings[$e + 1].Index } else { $examples.End }
            $body = @($blocks[$from..($to - 1)])
            $code = @($body | Where-Object { $_ -is [Markdig.Syntax.FencedCodeBlock] -and $_.Info -eq 'powershell' })[0]
            $output = @($body | Where-Object { $_ -is [Markdig.Syntax.FencedCodeBlock] -and $_.Info -eq 'Output' })[0]
            $prose = (@($body | Where-Object { $_ -is [Markdig.Syntax.ParagraphBlock] } | ForEach-Object { $fileText.Substring($_.Span.Start, $_.Span.Length) }) -join "`n`n")
            $lane = if ($prose.Contains($VfioRealDeviceMark)) { 'RealDevice' } elseif ($prose.Contains($VfioPwshMark)) { 'Pwsh' } else { 'Mock' }
            $exampleList.Add([pscustomobject]@{
                Command = $file.BaseName
                Number  = $e + 1
                Title   = $exampleHeadings[$e].Text
                Code    = if ($code) { $code.Lines.ToString() } else { '' }
                Output  = if ($output) { $output.Lines.ToString() } else { $null }
                Lane    = $lane
                NeedsSeedMdev = $prose.Contains($VfioSeedMdevMark)
            })
        }

        [pscustomobject]@{
            Name       = $file.BaseName
            Path       = $file.FullName
            Synopsis   = & $rawText ($synopsis.Start + 1) $syntax.Start
            SyntaxSets = @($headings | Where-Object { $_.Level -eq 3 -and $_.Index -gt $syntax.Start -and $_.Index -lt $syntax.End } | ForEach-Object { ($_.Text -replace '\s*\(Default\)$', '') })
            Parameters = @($parameterList)
            Examples   = $exampleList.ToArray()
        }
    }
}

function ConvertTo-VfioNormalizedOutput {
    # Output as the help shows it and as a run prints it: no trailing spaces, no blank lines around it.
    param([AllowNull()][string] $Text)
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($line in "$Text".Replace("`r", '').Split("`n")) { $lines.Add($line.TrimEnd()) }
    while ($lines.Count -gt 0 -and $lines[0] -eq '') { $lines.RemoveAt(0) }
    while ($lines.Count -gt 0 -and $lines[$lines.Count - 1] -eq '') { $lines.RemoveAt($lines.Count - 1) }
    $lines -join "`n"
}
